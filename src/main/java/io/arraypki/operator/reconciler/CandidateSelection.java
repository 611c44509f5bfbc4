package io.arraypki.operator.reconciler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Who holds privileged material (DESIGN.md section 4): the primary, every online node that asks
 * to be a candidate, then (with autoPromote) online master-capable nodes until the pool has
 * poolSize members: those that are candidates now first, then the others, each in name order.
 * Keeping the current ones first makes the order stable as nodes join: a node that sorts before
 * a candidate does not displace it (which would revoke a client certificate issued moments ago).
 * Offline nodes are never candidates.
 */
public final class CandidateSelection {
  private CandidateSelection() {}

  /** What the selection needs to know of a member. */
  public record Member(String name, boolean masterCandidate, boolean masterCapable, boolean offline) {}

  /**
   * The candidates, primary first, then in name order.
   *
   * @param current the candidates now (the array's status), empty for a new array
   */
  public static List<String> select(
      String primary, List<Member> members, int poolSize, boolean autoPromote, List<String> current) {
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
      List<Member> currentFirst = new ArrayList<>(online.stream().filter(m -> current.contains(m.name())).toList());
      online.stream().filter(m -> !current.contains(m.name())).forEach(currentFirst::add);
      for (Member m : currentFirst) {
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
