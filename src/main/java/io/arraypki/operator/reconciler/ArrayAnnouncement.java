package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.TrustConfigMaps;
import java.util.List;
import java.util.Optional;

/**
 * What an array reconcile has to say, as values: each knows the Event it becomes (if any); the
 * applier also counts the metrics from them. The planner decides them, so a unit test sees them.
 */
sealed interface ArrayAnnouncement {

  /** An Event: {@link EventRecorder#NORMAL} or {@link EventRecorder#WARNING}, a reason, a message. */
  record Event(String type, String reason, String message) {
    static Event normal(String reason, String message) {
      return new Event(EventRecorder.NORMAL, reason, message);
    }

    static Event warning(String reason, String message) {
      return new Event(EventRecorder.WARNING, reason, message);
    }
  }

  /** The Event this becomes; none for what only a condition or a metric tells. */
  Optional<Event> event();

  /** Something about the revocation ledger's two copies. */
  record LedgerFinding(String array, RevocationLedger.Finding finding) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      // Corrupt is a condition, announced when it starts (LedgerCorrupt)
      if (finding instanceof RevocationLedger.Finding.CopyRestored r && r.where() == RevocationLedger.Where.KEPT) {
        return Optional.of(Event.normal("RevocationLedgerKept", "Secret " + Names.revocationLedgerSecret(array)
            + " keeps a copy of the revocation ledger (" + r.entries() + " entries)"));
      } else if (finding instanceof RevocationLedger.Finding.CopyRestored r) {
        return Optional.of(Event.warning("TrustConfigMapRestored", location(array, r.where())
            + " was deleted; recreated with the " + r.entries() + " revocation(s) kept in Secret "
            + Names.revocationLedgerSecret(array)));
      } else if (finding instanceof RevocationLedger.Finding.EntriesRestored r) {
        return Optional.of(Event.warning("RevocationsRestored", location(array, r.where()) + " lacked "
            + r.missing() + " unexpired revocation(s) the other copy holds; they are restored (only its"
            + " certificate's expiry undoes a revocation)"));
      } else if (finding instanceof RevocationLedger.Finding.CorruptCopyReplaced r) {
        return Optional.of(Event.warning("RevocationLedgerRepaired", location(array, r.where())
            + " did not parse (" + r.problem() + "); rewritten from the other copy"));
      } else if (finding instanceof RevocationLedger.Finding.Lost) {
        return Optional.of(Event.warning("RevocationLedgerLost", "both copies of the revocation ledger (ConfigMap "
            + Names.trustConfigMap(array) + ", Secret " + Names.revocationLedgerSecret(array)
            + ") are gone; certificates revoked before are no longer listed"));
      }
      return Optional.empty();
    }

    static String location(String array, RevocationLedger.Where where) {
      return where == RevocationLedger.Where.PUBLISHED
          ? TrustConfigMaps.REVOCATIONS_JSON + " of ConfigMap " + Names.trustConfigMap(array)
          : TrustConfigMaps.REVOCATIONS_JSON + " of Secret " + Names.revocationLedgerSecret(array);
    }
  }

  /** The array's first CA generation (or the first after all were lost). */
  record CaGenerated(long generation, String primary, Optional<String> issuerSecret, String fingerprint)
      implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.normal("CAGenerated", issuerSecret.map(s -> "took the CA of issuer Secret " + s)
          .orElse("generated") + " as CA generation " + generation + " for primary " + primary + " ("
          + fingerprint + ")"));
    }
  }

  /** A brought CA that ends before the certificates it signs would. */
  record IssuerEndsEarly(String warning) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.warning("IssuerEndsEarly", warning));
    }
  }

  /** A step of the CA rotation (DESIGN.md section 6). */
  record RotationStep(RotationPlanner.StepKind kind, String message) implements ArrayAnnouncement {
    static RotationStep of(RotationPlanner.Step step) {
      return new RotationStep(step.kind(), step.message());
    }

    @Override
    public Optional<Event> event() {
      return Optional.of(kind == RotationPlanner.StepKind.ConfirmationTimedOut
          || kind == RotationPlanner.StepKind.RenewalOutsideWindow
          ? Event.warning(kind.name(), message) : Event.normal(kind.name(), message));
    }
  }

  /** Certificates newly on the CRL (counted; the Secrets removed are announced each). */
  record Revoked(int count) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.empty();
    }
  }

  /** An issued Secret of a node no longer entitled to it: revoked, then removed. */
  record MaterialRevoked(String secret, String node, String why) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.normal("MaterialRevoked", secret + " of node " + node + " revoked and removed ("
          + why + ")"));
    }
  }

  /** What the verify found (and repairs). */
  record VerifyFailed(List<VerifyProblem> problems) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.warning("VerifyFailed", problems.size() + " problem(s), repaired: "
          + String.join("; ", problems.stream().map(p -> p.problem + " " + p.message).toList())));
    }
  }

  /** The brought CA's issuer Secret became unusable. */
  record IssuerInvalid(String message) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.warning("IssuerInvalid", message));
    }
  }

  /** No copy of the revocation ledger parses: failing closed starts. */
  record LedgerCorrupt(String message) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.warning(ClusterArrayReconciler.LEDGER_CORRUPT, message));
    }
  }

  /** The array's renewal windows were refused (they became so, or their reason changed, in this reconcile). */
  record RenewalWindowsRefused(String reason, String message) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.warning("RenewalWindows" + reason, message));
    }
  }

  /** The named primary cannot act as the CA (it became so in this reconcile). */
  record PrimaryUnusable(String reason, String message) implements ArrayAnnouncement {
    @Override
    public Optional<Event> event() {
      return Optional.of(Event.warning(reason, message));
    }
  }
}
