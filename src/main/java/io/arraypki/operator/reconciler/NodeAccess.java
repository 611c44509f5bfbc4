package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.k8s.AccessRoles;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps a node's ServiceAccount able to read exactly what the node holds now: its peer Secret;
 * as a candidate its client certificate (and SSH keys); as primary the array's CA; when serving,
 * the service certificate; and the trust ConfigMap. A role change changes the Role at once.
 */
final class NodeAccess {
  private NodeAccess() {}

  static void ensure(ArrayNode node, ArrayNodeStatus status, Context<ArrayNode> context) {
    String name = node.getMetadata().getName();
    String namespace = node.getMetadata().getNamespace();
    Optional<Role> currentRole = EventSources.get(context, Role.class, EventSources.ROLES, namespace, AccessRoles.name(name));
    Optional<RoleBinding> currentBinding =
        EventSources.get(context, RoleBinding.class, EventSources.ROLE_BINDINGS, namespace, AccessRoles.name(name));
    String account = node.getSpec().serviceAccountName;
    if (account == null || account.isEmpty()) {
      currentBinding.ifPresent(b -> ObjectWriter.delete(context, b));
      currentRole.ifPresent(r -> ObjectWriter.delete(context, r));
      return;
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
    Optional<ClusterArray> owner = array.isEmpty() ? Optional.empty()
        : EventSources.get(context, ClusterArray.class, EventSources.ARRAYS, namespace, array);
    if (candidate && owner.map(a -> ArraySettings.of(a.getSpec()).sshKeys()).orElse(false)) {
      secrets.add(Names.sshSecret(name));
    }
    if (role == NodeRole.Primary) {
      secrets.add(Names.caSecret(array));
    }
    if (role == NodeRole.Standalone) {
      secrets.add(Names.standaloneCaSecret(name));
    }
    if (Boolean.TRUE.equals(node.getSpec().serving) && owner.map(a -> a.getSpec().serviceCertificate != null).orElse(false)) {
      secrets.add(Names.serviceSecret(array));
    }
    if (!array.isEmpty() && role != NodeRole.Pending && role != NodeRole.Standalone) {
      configMaps.add(Names.trustConfigMap(array));
    }
    ObjectWriter.apply(context, AccessRoles.role(node, array, secrets, configMaps), currentRole);
    ObjectWriter.apply(context, AccessRoles.binding(node, array, account), currentBinding);
  }
}
