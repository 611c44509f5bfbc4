package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.AccessRoles;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Optional;

/**
 * Everything one Node reconcile decides from, read once from the informer caches (the keystore
 * passwords from the cache of the user's Secrets, live only on a miss). The planner sees nothing
 * else.
 *
 * @param view the array's issuing view; null outside an array, while offline, or while another
 *     array still holds the peer Secret (nothing is issued from it then)
 * @param peerHeldBy an existing array other than the node's own that the peer Secret belongs to
 * @param owner the node's array as cached (for its access rules)
 */
record NodeObservation(
    ArrayNode node,
    IssuingView view,
    Optional<String> peerHeldBy,
    Optional<ClusterArray> owner,
    Optional<Secret> peerSecret,
    Optional<Secret> clientSecret,
    Optional<Secret> sshSecret,
    Optional<Secret> standaloneCaSecret,
    Optional<Role> role,
    Optional<RoleBinding> binding,
    Optional<Lease> trustLease) {

  static NodeObservation read(ArrayNode node, Context<ArrayNode> context, PasswordSecretReads passwordReads,
      RenewalThrottle renewals) {
    String namespace = node.getMetadata().getNamespace();
    String name = node.getMetadata().getName();
    Optional<Secret> peer = secret(context, namespace, Names.peerSecret(name));
    String array = inAnArray(node) ? node.getSpec().array : null;
    Optional<ClusterArray> owner = array == null ? Optional.empty()
        : EventSources.get(context, ClusterArray.class, EventSources.ARRAYS, namespace, array);
    Optional<Secret> client = secret(context, namespace, Names.clientSecret(name));
    Optional<Secret> ssh = secret(context, namespace, Names.sshSecret(name));
    // Held by an array that is still to revoke it: the peer Secret of another array, or any
    // Secret issued to an earlier Node of this name (deleted, then made again: another machine).
    Optional<String> heldBy = peer.map(s -> EventSources.label(s, Labels.ARRAY))
        .filter(a -> !a.isEmpty() && !a.equals(node.getSpec().array))
        .or(() -> java.util.stream.Stream.of(peer, client, ssh).flatMap(Optional::stream)
            .filter(s -> issuedToAnEarlierNode(s, node))
            .map(s -> EventSources.label(s, Labels.ARRAY)).filter(a -> a != null && !a.isEmpty()).findFirst())
        .filter(a -> EventSources.get(context, ClusterArray.class, EventSources.ARRAYS, namespace, a).isPresent());
    boolean issuing = array != null && !Boolean.TRUE.equals(node.getSpec().offline) && heldBy.isEmpty();
    IssuingView view = issuing ? IssuingView.of(namespace, array, Lookup.cached(context), passwords(context, passwordReads))
        : null;
    if (view != null && view.array() != null) {
      view = view.withAdmission(renewals.forArray(namespace + "/" + array, view.maxRenewalsPerMinute()));
    }
    return new NodeObservation(node, view, heldBy, owner, peer, client, ssh,
        secret(context, namespace, Names.standaloneCaSecret(name)),
        EventSources.get(context, Role.class, EventSources.ROLES, namespace, AccessRoles.name(name)),
        EventSources.get(context, RoleBinding.class, EventSources.ROLE_BINDINGS, namespace, AccessRoles.name(name)),
        EventSources.get(context, Lease.class, EventSources.LEASES, namespace, Names.trustLease(name)));
  }

  /** The user's password Secrets: their informer says which version is current, a GET what it holds. */
  private static KeystorePasswords.Source passwords(Context<ArrayNode> context, PasswordSecretReads reads) {
    KeystorePasswords.Source metadata = (namespace, name) ->
        EventSources.get(context, Secret.class, EventSources.PASSWORD_SECRETS, namespace, name);
    return reads.source(metadata, KeystorePasswords.Source.live(context.getClient()));
  }

  private static Optional<Secret> secret(Context<ArrayNode> context, String namespace, String name) {
    return EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, name);
  }

  /** Whether {@code secret} was issued to another Node of this name (its recorded uid differs). */
  static boolean issuedToAnEarlierNode(Secret secret, ArrayNode node) {
    return Entitlement.recordedForAnother(EventSources.annotation(secret, Labels.NODE_UID), node);
  }

  static boolean inAnArray(ArrayNode node) {
    return node.getSpec() != null && node.getSpec().array != null && !node.getSpec().array.isEmpty();
  }

  boolean offline() {
    return Boolean.TRUE.equals(node.getSpec().offline);
  }

  String name() {
    return node.getMetadata().getName();
  }
}
