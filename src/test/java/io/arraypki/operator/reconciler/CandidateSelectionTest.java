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
    assertThat(CandidateSelection.select("n-d", members, 3, true)).containsExactly("n-d", "n-a", "n-z");
  }

  @Test
  void offlineAndNotMasterCapableNodesAreNotAutoPromoted() {
    var members = List.of(normal("a"), new Member("b", false, true, true), new Member("c", false, false, false), normal("d"));
    assertThat(CandidateSelection.select("a", members, 3, true)).containsExactly("a", "d");
  }

  @Test
  void withoutAutoPromoteOnlyThePrimaryAndAskedForCandidates() {
    var members = List.of(normal("a"), new Member("b", true, true, false), normal("c"));
    assertThat(CandidateSelection.select("a", members, 3, false)).containsExactly("a", "b");
  }

  @Test
  void askedForCandidatesMayExceedThePoolSize() {
    var members = List.of(normal("a"), new Member("b", true, true, false), new Member("c", true, true, false));
    assertThat(CandidateSelection.select("a", members, 1, true)).containsExactly("a", "b", "c");
  }

  @Test
  void anOfflinePrimaryIsNoCandidate() {
    var members = List.of(new Member("a", false, true, true), normal("b"));
    assertThat(CandidateSelection.select("a", members, 2, true)).containsExactly("b");
  }
}
