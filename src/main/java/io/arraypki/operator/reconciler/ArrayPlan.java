package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.k8s.ObjectWriter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one array reconcile writes, in the order the applier writes it: the kept copy of the
 * revocation ledger before the trust ConfigMap (the kept copy never holds less than the
 * published one), the candidate map, the service certificate, the CA alias; then the deletions,
 * all after the CRL that revokes what they remove. Writes that would change nothing are left
 * out. Then the announcements, the next status, and when to look again.
 *
 * @param deletions in their safe order: retired CA generations (never one active or trusted),
 *     revoked material, certificates copied from another node
 * @param releasedFinalizers Nodes being deleted whose earlier operator's finalizer comes off after
 *     the deletions: they hold nothing of the array any more
 * @param statusChanged whether {@code status} differs from the status before (else no write)
 * @param wakeAt when to reconcile again, never before now; the service certificate's renewal is
 *     the applier's to add (LeafIssuer decides it while it writes)
 * @param reissue cert-manager Certificates of the array's clients to re-issue after a rotation
 *     (after the writes: the CA they are to be signed with is published)
 */
record ArrayPlan(
    Optional<Write<Secret>> keptLedger,
    Optional<Write<ConfigMap>> trust,
    Optional<CandidateMapWrite> candidateMap,
    Optional<ServiceCertificate> serviceCertificate,
    Optional<Write<Secret>> alias,
    List<Secret> deletions,
    List<io.arraypki.operator.api.ArrayNode> releasedFinalizers,
    List<ArrayAnnouncement> announcements,
    ClusterArrayStatus status,
    boolean statusChanged,
    Optional<Instant> wakeAt,
    List<ClientReissue.Request> reissue) {

  /** An object as it should be, and as the cache holds it now. */
  record Write<R extends HasMetadata>(R desired, Optional<R> current) {
    /** Only what changes content is a write (ObjectWriter skips the rest too). */
    static <R extends HasMetadata> Optional<Write<R>> ifChanged(R desired, Optional<R> current) {
      return !ObjectWriter.unchanged(current, desired) ? Optional.of(new Write<>(desired, current)) : Optional.empty();
    }
  }

  /**
   * The candidate map as it should be (any other edit is undone) and the verify result its status
   * carries; written only when {@link #changes()}.
   */
  record CandidateMapWrite(CandidateMap desired, Optional<CandidateMap> current, List<VerifyProblem> problems) {
    boolean changes() {
      return !ObjectWriter.unchanged(current, desired) || !ArrayPlanner.sameMapStatus(current.get(), problems);
    }
  }

  /** The service certificate, kept like a member's by LeafIssuer (which decides whether to issue). */
  record ServiceCertificate(IssuingView view, LeafIssuer.Target target, String commonName) {}

  /** Whether this plan writes nothing at all (the service certificate aside, which LeafIssuer decides). */
  boolean writesNothing() {
    return keptLedger.isEmpty() && trust.isEmpty() && candidateMap.filter(CandidateMapWrite::changes).isEmpty()
        && alias.isEmpty() && deletions.isEmpty() && releasedFinalizers.isEmpty() && !statusChanged
        && reissue.isEmpty();
  }
}
