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
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 409) {
        return false;
      }
    }
    return true;
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
