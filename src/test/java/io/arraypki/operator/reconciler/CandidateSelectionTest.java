package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.reconciler.CandidateSelection.Member;
import java.util.List;
import org.junit.jupiter.api.Test;

class CandidateSelectionTest {
  private static Member normal(String name) {
    return new Member(name, false, true, false);
  }

  @Test
  void primaryComesFirstThenAskedForCandidatesThenAutoPromotedInNameOrder() {
    var members = List.of(normal("n-d"), normal("n-c"), new Member("n-z", true, true, false), normal("n-a"));
    assertThat(CandidateSelection.select("n-d", members, 3, true, List.of())).containsExactly("n-d", "n-a", "n-z");
  }

  @Test
  void offlineAndNotMasterCapableNodesAreNotAutoPromoted() {
    var members = List.of(normal("a"), new Member("b", false, true, true), new Member("c", false, false, false), normal("d"));
    assertThat(CandidateSelection.select("a", members, 3, true, List.of())).containsExactly("a", "d");
  }

  @Test
  void withoutAutoPromoteOnlyThePrimaryAndAskedForCandidates() {
    var members = List.of(normal("a"), new Member("b", true, true, false), normal("c"));
    assertThat(CandidateSelection.select("a", members, 3, false, List.of())).containsExactly("a", "b");
  }

  @Test
  void askedForCandidatesMayExceedThePoolSize() {
    var members = List.of(normal("a"), new Member("b", true, true, false), new Member("c", true, true, false));
    assertThat(CandidateSelection.select("a", members, 1, true, List.of())).containsExactly("a", "b", "c");
  }

  @Test
  void anOfflinePrimaryIsNoCandidate() {
    var members = List.of(new Member("a", false, true, true), normal("b"));
    assertThat(CandidateSelection.select("a", members, 2, true, List.of())).containsExactly("b");
  }

  @Test
  void aCandidateKeepsItsPlaceWhenANodeThatSortsBeforeItJoins() {
    var before = List.of(normal("node-0"), normal("node-1"), normal("node-2"));
    List<String> first = CandidateSelection.select("node-0", before, 3, true, List.of());
    assertThat(first).containsExactly("node-0", "node-1", "node-2");

    var after = List.of(normal("node-0"), normal("node-1"), normal("node-2"), normal("node-10"));
    assertThat(CandidateSelection.select("node-0", after, 3, true, first)).containsExactly("node-0", "node-1", "node-2");
  }

  @Test
  void aNewPrimaryJoinsThePoolAndTheLastCurrentCandidateInNameOrderLeavesIt() {
    var members = List.of(normal("node-0"), normal("node-1"), normal("node-2"), normal("node-7"));
    assertThat(CandidateSelection.select("node-7", members, 3, true, List.of("node-0", "node-1", "node-2")))
        .containsExactly("node-7", "node-0", "node-1");
  }

  @Test
  void aVacancyIsFilledInNameOrderFromTheNodesThatAreNoCandidates() {
    var members = List.of(normal("node-0"), new Member("node-1", false, true, true), normal("node-2"), normal("node-10"));
    assertThat(CandidateSelection.select("node-0", members, 3, true, List.of("node-0", "node-1", "node-2")))
        .containsExactly("node-0", "node-10", "node-2");
  }

  @Test
  void aNodeAskingToBeACandidateIsNoneWhileOfflineAndIsOneAgainOnceOnline() {
    var offline = List.of(normal("a"), new Member("b", true, true, true));
    assertThat(CandidateSelection.select("a", offline, 1, false, List.of("a", "b"))).containsExactly("a");
    var online = List.of(normal("a"), new Member("b", true, true, false));
    assertThat(CandidateSelection.select("a", online, 1, false, List.of("a"))).containsExactly("a", "b");
  }

  @Test
  void aNodeBackOnlineIsAutoPromotedAgainWhenThePoolNeedsIt() {
    var offline = List.of(normal("a"), new Member("b", false, true, true), normal("c"));
    List<String> without = CandidateSelection.select("a", offline, 3, true, List.of("a", "b", "c"));
    assertThat(without).containsExactly("a", "c");
    var online = List.of(normal("a"), normal("b"), normal("c"));
    assertThat(CandidateSelection.select("a", online, 3, true, without)).containsExactly("a", "b", "c");
  }
}
