package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNodeStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one Node reconcile does, in the order the applier does it: create the standalone CA (the
 * leaves of this plan are signed by it), apply the leaf Secrets, create the SSH keys, delete what
 * the node no longer holds, keep its access rules, tell the announcements, write the status when
 * it changed, and wake at the earliest renewal.
 *
 * @param quietUntil when set, nothing else: the node waits for its array's CA in silence until then
 * @param statusChanged whether {@code status} differs from what the node has
 * @param releaseLegacyFinalizer whether an earlier operator's finalizer comes off the Node, last:
 *     once no array's unrevoked material is the Node's own (the garbage collector would remove
 *     it with the Node, unrevoked)
 */
record NodePlan(
    Optional<Instant> quietUntil,
    Optional<Secret> createCa,
    List<LeafIssuer.Planned> leaves,
    List<Secret> create,
    List<HasMetadata> delete,
    NodeAccess.Plan access,
    List<NodeAnnouncement> announcements,
    ArrayNodeStatus status,
    boolean statusChanged,
    Optional<Instant> wake,
    boolean releaseLegacyFinalizer) {

  static NodePlan quiet(Instant until) {
    return new NodePlan(Optional.of(until), Optional.empty(), List.of(), List.of(), List.of(),
        new NodeAccess.Plan(List.of(), List.of()), List.of(), null, false, Optional.of(until), false);
  }

  /** Whether applying this plan writes anything at all (an unchanged observation writes nothing). */
  boolean writes() {
    return createCa.isPresent() || leaves.stream().anyMatch(LeafIssuer.Planned::writes) || !create.isEmpty()
        || !delete.isEmpty() || access.writes() || statusChanged || releaseLegacyFinalizer;
  }
}
