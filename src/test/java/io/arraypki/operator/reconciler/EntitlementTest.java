package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.reconciler.Entitlement.Holding;
import io.arraypki.operator.reconciler.Entitlement.Kind;
import io.arraypki.operator.reconciler.Entitlement.Reason;
import io.arraypki.operator.reconciler.Entitlement.Suggested;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Revocation is confirmed by live reads: a cache that misses Nodes (the incident of a second
 * operator revoking a healthy array's certificates) revokes nothing.
 */
class EntitlementTest {
  private static ArrayNode node(String name, String array, boolean offline) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").build());
    node.setSpec(new ArrayNodeSpec());
    node.getSpec().array = array;
    node.getSpec().offline = offline;
    return node;
  }

  private static Suggested<String> suggested(String node, Kind kind, Reason cached) {
    return new Suggested<>(node + "-" + kind, new Holding(node, "a", kind), true, cached);
  }

  @Test
  void theCachedViewNamesEveryReason() {
    Holding peer = new Holding("n", "a", Kind.PEER);
    Holding client = new Holding("n", "a", Kind.CLIENT);
    assertThat(Entitlement.unentitled(peer, Optional.empty(), List.of(), true)).hasValue(Reason.NodeRemoved);
    assertThat(Entitlement.unentitled(peer, Optional.of(node("n", "b", false)), List.of(), true)).hasValue(Reason.NodeLeft);
    assertThat(Entitlement.unentitled(peer, Optional.of(node("n", "a", true)), List.of(), true)).hasValue(Reason.NodeOffline);
    assertThat(Entitlement.unentitled(peer, Optional.of(node("n", "a", false)), List.of(), true)).isEmpty();
    assertThat(Entitlement.unentitled(client, Optional.of(node("n", "a", false)), List.of(), true))
        .hasValue(Reason.NotACandidate);
    assertThat(Entitlement.unentitled(client, Optional.of(node("n", "a", false)), List.of("n"), true)).isEmpty();
    assertThat(Entitlement.unentitled(client, Optional.of(node("n", "a", false)), List.of("n"), false))
        .hasValue(Reason.NotACandidate);
    ArrayNode deleting = node("n", "a", false);
    deleting.getMetadata().setDeletionTimestamp("2026-12-02T00:00:00Z");
    assertThat(Entitlement.unentitled(peer, Optional.of(deleting), List.of("n"), true)).hasValue(Reason.NodeDeleted);
  }

  /**
   * The array owns a member's Secrets, so they outlive a deleted Node: a Node made again under
   * that name is another machine, and what was issued to the first is revoked, confirmed by the
   * live read, even though a member of that name is in the cache and the API server.
   */
  @Test
  void materialIssuedToADeletedNodeIsRevokedWhenANewNodeTakesItsName() {
    ArrayNode again = node("n", "a", false);
    again.getMetadata().setUid("uid-second");
    Holding first = new Holding("n", "a", Kind.PEER, "uid-first");
    assertThat(Entitlement.unentitled(first, Optional.of(again), List.of("n"), true)).hasValue(Reason.NodeRemoved);
    assertThat(Entitlement.unentitled(new Holding("n", "a", Kind.PEER, "uid-second"), Optional.of(again), List.of(),
        true)).as("its own").isEmpty();
    assertThat(Entitlement.unentitled(new Holding("n", "a", Kind.PEER), Optional.of(again), List.of(), true))
        .as("a Secret from before the uid was recorded").isEmpty();

    var confirmed = Entitlement.confirm(List.of(new Suggested<>("n-peer", first, true, Reason.NodeRemoved)),
        Map.of("n", Optional.of(again)), Map.of("n", again), List.of("n"));
    assertThat(confirmed.cacheBehind()).isFalse();
    assertThat(confirmed.revoke()).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(Reason.NodeRemoved));
  }

  @Test
  void nodesTheCacheMissesButTheApiServerHasAreNotRevokedNorIsAnythingElse() {
    // the cache saw none of the three members; the live reads find them all
    var suggestions = List.of(suggested("n1", Kind.PEER, Reason.NodeRemoved),
        suggested("n2", Kind.PEER, Reason.NodeRemoved), suggested("n3", Kind.CLIENT, Reason.NodeRemoved));
    var live = Map.of("n1", Optional.of(node("n1", "a", false)), "n2", Optional.of(node("n2", "a", false)),
        "n3", Optional.of(node("n3", "a", false)));
    var confirmed = Entitlement.confirm(suggestions, live, Map.of(), List.of());
    assertThat(confirmed.revoke()).isEmpty();
    assertThat(confirmed.cacheBehind()).isTrue();
  }

  @Test
  void aClientCertificateOfAMemberTheCacheMissedIsNotRevokedAsNotACandidate() {
    // the live Node is a member and offline=false; the candidates were computed without it
    var confirmed = Entitlement.confirm(List.of(suggested("n3", Kind.CLIENT, Reason.NotACandidate)),
        Map.of("n3", Optional.of(node("n3", "a", true))), Map.of(), List.of());
    assertThat(confirmed.revoke()).isEmpty();
    assertThat(confirmed.cacheBehind()).isTrue();
  }

  @Test
  void whatTheLiveReadsConfirmIsRevokedWithTheLiveReason() {
    ArrayNode cachedStillMember = node("n2", "a", false);
    var confirmed = Entitlement.confirm(
        List.of(suggested("n1", Kind.PEER, Reason.NodeRemoved), suggested("n2", Kind.PEER, Reason.NodeOffline)),
        Map.of("n1", Optional.empty(), "n2", Optional.of(node("n2", "b", false))),
        Map.of("n2", cachedStillMember), List.of());
    assertThat(confirmed.cacheBehind()).isFalse();
    assertThat(confirmed.revoke()).extracting(Suggested::reason).containsExactly(Reason.NodeRemoved, Reason.NodeLeft);
  }
}
