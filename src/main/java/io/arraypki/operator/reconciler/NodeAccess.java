package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.k8s.AccessRoles;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.TrustLeases;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps a node's ServiceAccount able to read exactly what the node holds now: its peer Secret;
 * as a candidate its client certificate (and SSH keys); as primary the array's CA; when serving,
 * the service certificate; and the trust ConfigMap; and write its trust Lease (kept here too:
 * it exists exactly while the node names a ServiceAccount). A role change changes the Role at once.
 */
final class NodeAccess {
  private NodeAccess() {}

  /** The Role and RoleBinding to apply (with what the cache has of them), or the ones to delete. */
  record Plan(List<Apply<?>> apply, List<HasMetadata> delete) {
    boolean writes() {
      return !delete.isEmpty() || apply.stream().anyMatch(Apply::writes);
    }
  }

  record Apply<R extends HasMetadata>(R desired, Optional<R> current) {
    boolean writes() {
      return !ObjectWriter.unchanged(current, desired);
    }
  }

  /** Pure: from the status the node is to have. */
  static Plan plan(ArrayNode node, ArrayNodeStatus status, Optional<ClusterArray> owner, Optional<Role> currentRole,
      Optional<RoleBinding> currentBinding, Optional<Lease> currentLease) {
    String name = node.getMetadata().getName();
    String account = node.getSpec().serviceAccountName;
    if (account == null || account.isEmpty()) {
      List<HasMetadata> delete = new ArrayList<>();
      currentBinding.ifPresent(delete::add);
      currentRole.ifPresent(delete::add);
      currentLease.ifPresent(delete::add); // no ServiceAccount, no confirmations to keep
      return new Plan(List.of(), delete);
    }
    String array = node.getSpec().array == null ? "" : node.getSpec().array;
    List<String> secrets = new ArrayList<>();
    List<String> configMaps = new ArrayList<>();
    NodeRole role = status.role;
    if (status.peerCertificate != null) {
      secrets.add(Names.peerSecret(name));
    }
    if (status.clientCertificate != null) {
      secrets.add(Names.clientSecret(name));
    }
    boolean candidate = role == NodeRole.Primary || role == NodeRole.Candidate;
    Optional<ClusterArray> ownArray = array.isEmpty() ? Optional.empty() : owner;
    if (candidate && ownArray.map(a -> ArraySettings.of(a.getSpec()).sshKeys()).orElse(false)) {
      secrets.add(Names.sshSecret(name));
    }
    if (role == NodeRole.Primary) {
      secrets.add(Names.caSecret(array));
    }
    if (role == NodeRole.Standalone) {
      secrets.add(Names.standaloneCaSecret(name));
    }
    if (Boolean.TRUE.equals(node.getSpec().serving) && ownArray.map(a -> a.getSpec().serviceCertificate != null).orElse(false)) {
      secrets.add(Names.serviceSecret(array));
    }
    if (!array.isEmpty() && role != NodeRole.Pending && role != NodeRole.Standalone) {
      configMaps.add(Names.trustConfigMap(array));
    }
    // The Lease before the Role that lets the account write it: an object of that name made by
    // someone else stops the apply (NameCollision) before any right to it is granted.
    return new Plan(List.of(new Apply<>(TrustLeases.desired(node, array), currentLease),
        new Apply<>(AccessRoles.role(node, array, secrets, configMaps, List.of(Names.trustLease(name))), currentRole),
        new Apply<>(AccessRoles.binding(node, array, account), currentBinding)), List.of());
  }
}
