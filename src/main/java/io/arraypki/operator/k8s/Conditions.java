package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * metav1.Condition lists: setting a condition keeps its lastTransitionTime unless its status
 * changes, so that a reconcile that changes nothing writes nothing.
 */
public final class Conditions {
  public static final String TRUE = "True";
  public static final String FALSE = "False";

  private Conditions() {}

  /** The list with the condition set; the input is not modified. */
  public static List<Condition> set(
      List<Condition> current,
      String type,
      boolean status,
      String reason,
      String message,
      Long observedGeneration,
      Instant now) {
    List<Condition> next = new ArrayList<>();
    String statusText = status ? TRUE : FALSE;
    boolean found = false;
    for (Condition c : current == null ? List.<Condition>of() : current) {
      if (!type.equals(c.getType())) {
        next.add(c);
        continue;
      }
      found = true;
      String since = statusText.equals(c.getStatus()) ? c.getLastTransitionTime() : timestamp(now);
      next.add(condition(type, statusText, reason, message, observedGeneration, since));
    }
    if (!found) {
      next.add(condition(type, statusText, reason, message, observedGeneration, timestamp(now)));
    }
    return next;
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }

  /** Whether the status of a condition differs between two lists (absent counts as differing). */
  public static boolean statusChanged(List<Condition> before, List<Condition> after, String type) {
    return !Objects.equals(
        find(before, type).map(Condition::getStatus), find(after, type).map(Condition::getStatus));
  }

  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static Condition condition(
      String type, String status, String reason, String message, Long generation, String since) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message == null ? "" : message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(since)
        .build();
  }
}
