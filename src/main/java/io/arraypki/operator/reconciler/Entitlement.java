package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a node still holds its issued material rightly, and the confirmation an irreversible
 * revocation needs. Pure: the reconciler passes the cached view and, for the nodes it would
 * revoke, what a live read of the API server returned.
 *
 * <p>Why the live read: a cache can lag (an informer that has not yet listed every Node, a
 * watch that missed an event), and a revocation made from a cache miss cannot be taken back; it
 * once put every current certificate of a healthy array on its CRL. So every revocation is
 * confirmed node by node, and when a live read contradicts the cache, nothing at all is revoked
 * in that reconcile: the candidate list was computed from the same cache and cannot be trusted
 * either.
 */
final class Entitlement {
  private Entitlement() {}

  /** Why a node's material is no longer its own. */
  enum Reason {
    NodeRemoved("node removed"),
    NodeDeleted("node deleted"),
    NodeLeft("node left the array"),
    NodeOffline("node offline"),
    NotACandidate("node is not a candidate");

    private final String text;

    Reason(String text) {
      this.text = text;
    }

    String text() {
      return text;
    }
  }

  /**
   * The facts about one issued Secret that decide it.
   *
   * @param nodeUid the uid of the Node it was issued to (null on Secrets from before it was recorded)
   */
  record Holding(String node, String array, Kind kind, String nodeUid) {
    Holding(String node, String array, Kind kind) {
      this(node, array, kind, null);
    }

    /** Whether {@code node}, of the same name, is another Node than the one this was issued to. */
    boolean issuedToAnother(ArrayNode node) {
      return recordedForAnother(nodeUid, node);
    }
  }

  /**
   * Whether a Secret whose {@code arraypki.io/node-uid} reads {@code recordedUid} was issued to
   * another Node than {@code node} of the same name (deleted, then made again: another machine).
   * Secrets from before the uid was recorded (null) count as the Node's own.
   */
  static boolean recordedForAnother(String recordedUid, ArrayNode node) {
    return recordedUid != null && !recordedUid.equals(node.getMetadata().getUid());
  }

  /** What the Secret holds: privileged material is a candidate's alone. */
  enum Kind {
    PEER,
    CLIENT,
    SSH
  }

  /**
   * @param node the Node as seen (empty when it does not exist)
   * @param privilegedAllowed whether the array hands out this kind of privileged material at all
   */
  static Optional<Reason> unentitled(Holding holding, Optional<ArrayNode> node, List<String> candidates,
      boolean privilegedAllowed) {
    if (node.isEmpty()) {
      return Optional.of(Reason.NodeRemoved);
    }
    ArrayNode n = node.get();
    if (holding.issuedToAnother(n)) {
      return Optional.of(Reason.NodeRemoved); // deleted, and a new Node made under its name
    }
    if (n.getMetadata().getDeletionTimestamp() != null) {
      return Optional.of(Reason.NodeDeleted);
    }
    if (n.getSpec() == null || !holding.array().equals(n.getSpec().array)) {
      return Optional.of(Reason.NodeLeft);
    }
    if (!ArrayFacts.entitled(n)) {
      return Optional.of(Reason.NodeOffline);
    }
    boolean privileged = holding.kind() == Kind.CLIENT || holding.kind() == Kind.SSH;
    if (privileged && (!candidates.contains(holding.node()) || !privilegedAllowed)) {
      return Optional.of(Reason.NotACandidate);
    }
    return Optional.empty();
  }

  /** One revocation the cache suggests. */
  record Suggested<T>(T item, Holding holding, boolean privilegedAllowed, Reason reason) {}

  /** Revocations confirmed by the live reads, and whether the cache was found behind. */
  record Confirmed<T>(List<Suggested<T>> revoke, boolean cacheBehind) {}

  /**
   * @param live the live read of each suggested node (empty when the API server says it does not exist)
   * @param cachedMembers the members as the cache sees them
   */
  static <T> Confirmed<T> confirm(List<Suggested<T>> suggested, Map<String, Optional<ArrayNode>> live,
      Map<String, ArrayNode> cachedMembers, List<String> candidates) {
    List<Suggested<T>> revoke = new ArrayList<>();
    for (Suggested<T> s : suggested) {
      Optional<ArrayNode> now = live.getOrDefault(s.holding().node(), Optional.empty());
      Optional<Reason> reason = unentitled(s.holding(), now, candidates, s.privilegedAllowed());
      boolean memberTheCacheMissed = now.isPresent() && now.get().getMetadata().getDeletionTimestamp() == null
          && now.get().getSpec() != null && s.holding().array().equals(now.get().getSpec().array)
          && !cachedMembers.containsKey(s.holding().node());
      if (reason.isEmpty() || memberTheCacheMissed) {
        return new Confirmed<>(List.of(), true);
      }
      revoke.add(new Suggested<>(s.item(), s.holding(), s.privilegedAllowed(), reason.get()));
    }
    return new Confirmed<>(List.copyOf(revoke), false);
  }
}
