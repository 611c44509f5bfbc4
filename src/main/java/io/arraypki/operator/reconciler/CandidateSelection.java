package io.arraypki.operator.reconciler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Who holds privileged material (DESIGN.md section 4): the primary, every online node that asks
 * to be a candidate, then (with autoPromote) online master-capable nodes in name order until the
 * pool has poolSize members. Offline nodes are never candidates.
 */
public final class CandidateSelection {
  private CandidateSelection() {}

  /** What the selection needs to know of a member. */
  public record Member(String name, boolean masterCandidate, boolean masterCapable, boolean offline) {}

  /** The candidates, primary first, then in name order. */
  public static List<String> select(
      String primary, List<Member> members, int poolSize, boolean autoPromote) {
    List<Member> online =
        members.stream()
            .filter(m -> !m.offline())
            .sorted(Comparator.comparing(Member::name))
            .toList();
    List<String> chosen = new ArrayList<>();
    online.stream().filter(m -> m.name().equals(primary)).forEach(m -> chosen.add(m.name()));
    online.stream()
        .filter(m -> m.masterCandidate() && !chosen.contains(m.name()))
        .forEach(m -> chosen.add(m.name()));
    if (autoPromote) {
      for (Member m : online) {
        if (chosen.size() >= poolSize) {
          break;
        }
        if (m.masterCapable() && !chosen.contains(m.name())) {
          chosen.add(m.name());
        }
      }
    }
    List<String> sorted = new ArrayList<>(chosen.subList(chosen.contains(primary) ? 1 : 0, chosen.size()));
    sorted.sort(Comparator.naturalOrder());
    if (chosen.contains(primary)) {
      sorted.add(0, primary);
    }
    return sorted;
  }
}
