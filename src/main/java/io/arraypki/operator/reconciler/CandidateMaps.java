package io.arraypki.operator.reconciler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateEntry;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.CandidateMapSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.api.VerifyProblemKind;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.ManagedObjects;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.SerialNumbers;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The candidate map (node -> client certificate digest) and the array's verify: what the map
 * should say, and what is wrong with what the cluster holds (the cluster-verify of the seeds).
 */
final class CandidateMaps {
  static final String DIGEST_ALGORITHM = "SHA-256";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL);

  private CandidateMaps() {}

  /** One entry per candidate whose client certificate is issued, in candidate order. */
  static CandidateMapSpec desired(ClusterArray array, List<String> candidates, ArrayFacts facts) {
    CandidateMapSpec spec = new CandidateMapSpec();
    spec.array = array.getMetadata().getName();
    spec.digestAlgorithm = DIGEST_ALGORITHM;
    for (String name : candidates) {
      Optional<ArrayNode> node = facts.member(name);
      Optional<X509Certificate> cert = clientSecret(facts, name).flatMap(LeafSecrets::leaf);
      if (node.isEmpty() || cert.isEmpty()) {
        continue;
      }
      CandidateEntry entry = new CandidateEntry();
      entry.node = name;
      entry.nodeUID = node.get().getMetadata().getUid();
      entry.role = name.equals(array.getSpec().primary) ? NodeRole.Primary : NodeRole.Candidate;
      entry.certificateDigest = Fingerprints.digest(cert.get());
      entry.serialNumber = SerialNumbers.format(cert.get().getSerialNumber());
      spec.entries.add(entry);
    }
    return spec;
  }

  static CandidateMap resource(ClusterArray array, CandidateMapSpec spec) {
    String name = array.getMetadata().getName();
    CandidateMap map = new CandidateMap();
    map.setMetadata(ManagedObjects.metadata(name, array, name, null, Labels.COMPONENT_TRUST, Map.of(), Map.of()));
    map.setSpec(spec);
    return map;
  }

  static String json(CandidateMapSpec spec) {
    try {
      return JSON.writeValueAsString(spec) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Problems in what the cluster holds now: map entries that are not candidates or whose digest
   * is not the node's certificate, candidates listed without a certificate, client or SSH
   * material on a normal node, and Secrets holding a certificate issued for another node.
   */
  static List<VerifyProblem> verify(Optional<CandidateMap> current, List<String> candidates, ArrayFacts facts) {
    List<VerifyProblem> problems = new ArrayList<>();
    for (CandidateEntry entry : current.map(m -> m.getSpec() == null ? List.<CandidateEntry>of() : m.getSpec().entries)
        .orElse(List.of())) {
      if (!candidates.contains(entry.node)) {
        problems.add(problem(entry.node, VerifyProblemKind.NotACandidate, "the map lists " + entry.node
            + ", which is not a candidate"));
        continue;
      }
      Optional<X509Certificate> cert = clientSecret(facts, entry.node).flatMap(LeafSecrets::leaf);
      if (cert.isEmpty()) {
        problems.add(problem(entry.node, VerifyProblemKind.MissingClientCertificate, "the map lists "
            + entry.node + ", which holds no client certificate"));
      } else if (!Objects.equals(entry.certificateDigest, Fingerprints.digest(cert.get()))) {
        problems.add(problem(entry.node, VerifyProblemKind.DigestMismatch, "the map's digest for " + entry.node
            + " is " + entry.certificateDigest + ", its certificate's is " + Fingerprints.digest(cert.get())));
      }
    }
    for (Secret secret : facts.issued()) {
      String node = EventSources.label(secret, Labels.NODE);
      String component = EventSources.label(secret, Labels.COMPONENT);
      boolean privileged = Labels.COMPONENT_CLIENT.equals(component) || Labels.COMPONENT_SSH.equals(component);
      if (privileged && facts.member(node).isPresent() && !candidates.contains(node)) {
        problems.add(problem(node, VerifyProblemKind.ClientCertificateOnNormalNode, secret.getMetadata().getName()
            + " holds " + component + " material of " + node + ", which is not a candidate"));
      }
      foreignCertificate(secret, facts).ifPresent(problems::add);
    }
    return problems;
  }

  /** A Secret of a node whose certificate names another node (a swapped certificate). */
  static Optional<VerifyProblem> foreignCertificate(Secret secret, ArrayFacts facts) {
    String node = EventSources.label(secret, Labels.NODE);
    Optional<ArrayNode> member = facts.member(node);
    Optional<X509Certificate> cert = LeafSecrets.leaf(secret);
    if (member.isEmpty() || cert.isEmpty()) {
      return Optional.empty();
    }
    String cn = io.arraypki.operator.pki.LeafDecision.issuedFor(cert.get());
    if (cn.equals(member.get().getSpec().peerDNSName)) {
      return Optional.empty();
    }
    return Optional.of(problem(node, VerifyProblemKind.ForeignCertificate, secret.getMetadata().getName()
        + " holds a certificate for " + cn + ", not for " + member.get().getSpec().peerDNSName));
  }

  private static Optional<Secret> clientSecret(ArrayFacts facts, String node) {
    return facts.issued().stream()
        .filter(s -> node.equals(EventSources.label(s, Labels.NODE))
            && Labels.COMPONENT_CLIENT.equals(EventSources.label(s, Labels.COMPONENT)))
        .findFirst();
  }

  private static VerifyProblem problem(String node, VerifyProblemKind kind, String message) {
    VerifyProblem p = new VerifyProblem();
    p.node = node;
    p.problem = kind;
    p.message = message;
    return p;
  }
}
