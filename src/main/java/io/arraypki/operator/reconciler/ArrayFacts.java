package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LegacyFinalizers;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.arraypki.operator.k8s.ManagedObjects;
import io.arraypki.operator.k8s.TrustLeases;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the array reconciler reads from its caches, in one place: members, CA generations, and
 * the Secrets issued to members (and to nodes that are no longer entitled to them).
 */
record ArrayFacts(
    List<ArrayNode> members,
    Map<String, ArrayNode> membersByName,
    Map<Long, Secret> generations,
    List<Secret> issued,
    List<Secret> participants,
    Optional<Secret> service,
    Optional<Secret> alias,
    Map<String, TrustLeases.Confirmation> confirmations,
    List<ArrayNode> departing) {

  ArrayFacts(List<ArrayNode> members, Map<String, ArrayNode> membersByName, Map<Long, Secret> generations,
      List<Secret> issued, List<Secret> participants, Optional<Secret> service, Optional<Secret> alias,
      Map<String, TrustLeases.Confirmation> confirmations) {
    this(members, membersByName, generations, issued, participants, service, alias, confirmations, List.of());
  }

  static ArrayFacts read(ClusterArray array, Context<ClusterArray> context) {
    String name = array.getMetadata().getName();
    String namespace = array.getMetadata().getNamespace();
    List<ArrayNode> ofTheArray = EventSources.ofArray(context, ArrayNode.class, EventSources.NODES, namespace, name)
        .toList();
    List<ArrayNode> members = ofTheArray.stream()
        .filter(n -> n.getMetadata().getDeletionTimestamp() == null)
        .toList();
    // Nodes being deleted that still carry an earlier operator's finalizer: theirs to release
    // once their material is revoked and removed.
    List<ArrayNode> departing = ofTheArray.stream()
        .filter(n -> n.getMetadata().getDeletionTimestamp() != null && LegacyFinalizers.carries(n))
        .toList();
    // Looked up once per issued Secret: a thousand members must not mean a million comparisons.
    Map<String, ArrayNode> membersByName = members.stream()
        .collect(java.util.stream.Collectors.toUnmodifiableMap(m -> m.getMetadata().getName(), m -> m));
    Map<Long, Secret> generations = new TreeMap<>();
    List<Secret> arraySecrets = EventSources.ofArray(context, Secret.class, EventSources.SECRETS, namespace, name).toList();
    arraySecrets.stream()
        .filter(s -> Labels.COMPONENT_CA.equals(EventSources.label(s, Labels.COMPONENT)))
        .forEach(s -> CaSecrets.generation(s)
            .filter(g -> s.getMetadata().getName().equals(Names.caGenerationSecret(name, g)))
            .ifPresent(g -> generations.put(g, s)));
    List<Secret> issued = arraySecrets.stream()
        .filter(s -> EventSources.label(s, Labels.NODE) != null)
        .toList();
    // By name, not from the index: a lookup by name also sees what this operator just wrote (JOSDK
    // keeps it until the watch brings it), so a reconcile right after the service certificate was
    // issued does not take it for missing and issue it again.
    Optional<Secret> service = EventSources.get(context, Secret.class, EventSources.SECRETS, namespace,
            Names.serviceSecret(name))
        .filter(s -> Labels.COMPONENT_SERVICE.equals(EventSources.label(s, Labels.COMPONENT))
            && name.equals(EventSources.label(s, Labels.ARRAY)));
    // Everything signed by the array that a rotation must move: members' peer certificates and
    // the service certificate.
    List<Secret> participants = new java.util.ArrayList<>(issued.stream()
        .filter(s -> Labels.COMPONENT_PEER.equals(EventSources.label(s, Labels.COMPONENT)))
        .filter(s -> Optional.ofNullable(membersByName.get(EventSources.label(s, Labels.NODE)))
            .filter(ArrayFacts::entitled).isPresent())
        .toList());
    service.ifPresent(participants::add);
    Optional<Secret> alias = arraySecrets.stream()
        .filter(s -> Labels.COMPONENT_CA.equals(EventSources.label(s, Labels.COMPONENT))
            && s.getMetadata().getName().equals(Names.caSecret(name)))
        .findFirst();
    // What members confirmed they have loaded, by node: only members that name a ServiceAccount
    // have a Lease they can write. A confirmation counts only from the Lease of that name the
    // operator made for that very Node (its controller): a member may edit its own Lease's
    // labels, and another workload may create Leases, but neither may confirm for a member.
    Map<String, TrustLeases.Confirmation> confirmations = new java.util.HashMap<>();
    var leases = EventSources.source(context, Lease.class, EventSources.LEASES);
    for (ArrayNode member : members) {
      String node = member.getMetadata().getName();
      leases.get(new ResourceID(Names.trustLease(node), namespace))
          .filter(l -> ManagedObjects.controlledBy(l, member))
          .flatMap(TrustLeases::confirmation)
          .ifPresent(c -> confirmations.put(node, c));
    }
    return new ArrayFacts(members, membersByName, generations, issued, List.copyOf(participants), service, alias,
        Map.copyOf(confirmations), departing);
  }

  /** These facts with more CA generations: those the cache had not shown yet, read from the API server. */
  ArrayFacts withGenerations(Map<Long, Secret> more) {
    if (more.isEmpty()) {
      return this;
    }
    Map<Long, Secret> all = new TreeMap<>(generations);
    all.putAll(more);
    return new ArrayFacts(members, membersByName, all, issued, participants, service, alias, confirmations,
        departing);
  }

  /** What the member {@code node} last confirmed on its trust Lease, if it ever did. */
  Optional<TrustLeases.Confirmation> confirmation(String node) {
    return node == null ? Optional.empty() : Optional.ofNullable(confirmations.get(node));
  }

  /** Offline nodes hold no material at all. */
  static boolean entitled(ArrayNode node) {
    return !Boolean.TRUE.equals(node.getSpec().offline);
  }

  Optional<ArrayNode> member(String node) {
    return node == null ? Optional.empty() : Optional.ofNullable(membersByName.get(node));
  }

  CertificateAuthority ca(long generation) {
    return CaSecrets.read(generations.get(generation));
  }

  static long signedBy(Secret secret) {
    return LeafSecrets.annotation(secret, Labels.SIGNED_BY_GENERATION).map(ArrayFacts::parseLong).orElse(0L);
  }

  static boolean trusts(Secret secret, String caPem) {
    return SecretData.text(secret, SecretData.CA_CRT).map(b -> b.contains(caPem.trim())).orElse(false);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0L;
    }
  }
}
