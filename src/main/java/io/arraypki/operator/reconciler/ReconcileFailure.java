package io.arraypki.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.regex.Pattern;

/**
 * What a failed reconcile says on its resource's condition: the cause in one line, with anything
 * that could be key material taken out (an API server's validation message can echo a field's
 * value). Conflicts are not reported: they are the normal race of two writers and are retried.
 */
final class ReconcileFailure {
  static final String REASON = "ReconcileFailed";
  static final String NAME_COLLISION = "NameCollision";
  private static final int LONGEST = 400;
  private static final Pattern PEM = Pattern.compile("-----BEGIN[\\s\\S]*?(-----END[^-]*-----|$)");
  private static final Pattern LONG_BASE64 = Pattern.compile("[A-Za-z0-9+/=_-]{40,}");

  private ReconcileFailure() {}

  /** Whether the failure is worth a condition (a conflict is retried and says nothing). */
  static boolean reportable(Exception e) {
    if (namespaceTerminating(e)) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 409) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the API server refused a write because the namespace is being deleted: nothing there
   * is worth writing any more (a Node may outlive its Secrets for a moment while its namespace
   * goes), so the reconcile ends quietly, with no condition or Event, and looks again after {@link
   * #NAMESPACE_TERMINATING_RETRY}.
   */
  static final java.time.Duration NAMESPACE_TERMINATING_RETRY = java.time.Duration.ofMinutes(5);

  static boolean namespaceTerminating(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 403 && k.getStatus() != null
          && k.getStatus().getDetails() != null && k.getStatus().getDetails().getCauses() != null
          && k.getStatus().getDetails().getCauses().stream()
              .anyMatch(c -> "NamespaceTerminating".equals(c.getReason()))) {
        return true;
      }
    }
    return false;
  }

  static String reason(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.arraypki.operator.k8s.NameTaken) {
        return NAME_COLLISION;
      }
    }
    return REASON;
  }

  static String describe(Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    String safe = LONG_BASE64.matcher(PEM.matcher(message).replaceAll("[PEM removed]")).replaceAll("[removed]")
        .replaceAll("\\s+", " ").trim();
    String text = root instanceof io.arraypki.operator.k8s.NameTaken ? safe
        : root.getClass().getSimpleName() + ": " + safe + "; retried with backoff";
    return text.length() <= LONGEST ? text : text.substring(0, LONGEST - 1) + "…";
  }
}
