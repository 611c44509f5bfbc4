package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.CandidateMapStatus;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.LegacyFinalizers;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.ops.OperatorMetrics;
import io.arraypki.operator.pki.ExternalIssuer;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Writes an {@link ArrayPlan} in its order through {@link ObjectWriter} (which skips writes that
 * change nothing and never applies over another owner's object), emits its announcements as
 * Events and counts them as metrics, and returns the status write and the wake-up.
 */
final class ArrayApplier {
  private final ClusterArray array;
  private final Context<ClusterArray> context;
  private final EventRecorder events;

  ArrayApplier(ClusterArray array, Context<ClusterArray> context, Clock clock) {
    this.array = array;
    this.context = context;
    this.events = new EventRecorder(context.getClient(), clock);
  }

  /** Creates a CA generation (create-only) and returns the observation with the Secret that won. */
  ArrayObservation create(ArrayObservation seen, Optional<ArrayPlanner.NewCa> ca, Instant now) {
    if (ca.isEmpty()) {
      return seen;
    }
    var source = new CaSource(array, seen.settings(), context, now, seen.issuer().filter(ExternalIssuer.Check::valid));
    var next = ca.get();
    Secret created = source.create(next.generation(), next.primary(),
        next.reason() == null ? null : next.reason().name());
    return seen.withGeneration(next.generation(), created);
  }

  UpdateControl<ClusterArray> apply(ArrayPlan plan, Instant now) {
    plan.keptLedger().ifPresent(w -> ObjectWriter.apply(context, w.desired(), w.current()));
    plan.trust().ifPresent(w -> ObjectWriter.apply(context, w.desired(), w.current()));
    plan.candidateMap().ifPresent(m -> writeCandidateMap(m, now));
    Optional<Instant> serviceRenewal = plan.serviceCertificate().map(s -> {
      var result = LeafIssuer.ensure(context, s.view(), s.target(), now);
      result.announce(events, array, "ServiceCertificateIssued", s.target().secretName() + " for " + s.commonName());
      return result.renewalTime();
    });
    plan.alias().ifPresent(w -> ObjectWriter.apply(context, w.desired(), w.current()));
    plan.deletions().forEach(s -> ObjectWriter.delete(context, s));
    plan.announcements().forEach(this::announce);

    if (plan.statusChanged()) {
      StatusPatches.writeAndCache(array, plan.status(), ClusterArray::new, context);
    }
    plan.reissue().forEach(r -> askToReissue(r, now));
    // last: a failure here must not cost the Events and status of what was revoked above
    plan.releasedFinalizers().forEach(n -> LegacyFinalizers.release(context.getClient(), n));
    UpdateControl<ClusterArray> control = UpdateControl.noUpdate();
    Stream.concat(plan.wakeAt().stream(), serviceRenewal.stream()).min(Instant::compareTo)
        .ifPresent(t -> control.rescheduleAfter(WakeUp.after(now, t)));
    return control;
  }

  /**
   * Asks cert-manager to re-issue a client's Certificate as {@code cmctl renew} does: the
   * condition Issuing=True on its status, added unless it is there already (cert-manager is
   * issuing, or has not yet acted on an earlier request). A Certificate that is gone is left.
   */
  private void askToReissue(ClientReissue.Request request, Instant now) {
    var certificates = context.getClient().genericKubernetesResources("cert-manager.io/v1", "Certificate")
        .inNamespace(array.getMetadata().getNamespace());
    io.fabric8.kubernetes.api.model.GenericKubernetesResource certificate =
        certificates.withName(request.certificate()).get();
    if (certificate == null) {
      return;
    }
    Object status = certificate.getAdditionalProperties().get("status");
    List<Map<String, Object>> conditions = new ArrayList<>();
    if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> list) {
      for (Object c : list) {
        if (c instanceof Map<?, ?> m) {
          @SuppressWarnings("unchecked")
          Map<String, Object> condition = (Map<String, Object>) m;
          if ("Issuing".equals(condition.get("type")) && "True".equals(condition.get("status"))) {
            return;
          }
          if (!"Issuing".equals(condition.get("type"))) {
            conditions.add(condition);
          }
        }
      }
    }
    Map<String, Object> issuing = new LinkedHashMap<>();
    issuing.put("type", "Issuing");
    issuing.put("status", "True");
    issuing.put("reason", "ArrayCARotated");
    issuing.put("message", "Re-issue requested by ClusterArray " + array.getMetadata().getName() + ": "
        + request.why());
    issuing.put("lastTransitionTime", io.arraypki.operator.k8s.Conditions.timestamp(now));
    conditions.add(issuing);
    Map<String, Object> patch = Map.of("metadata", Map.of("resourceVersion",
        certificate.getMetadata().getResourceVersion()), "status", Map.of("conditions", conditions));
    certificates.withName(request.certificate()).subresource("status").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        context.getClient().getKubernetesSerialization().asJson(patch));
    events.normal(array, "ClientReissueRequested", "asked cert-manager to re-issue Certificate "
        + request.certificate() + ": " + request.why());
  }

  private void announce(ArrayAnnouncement announcement) {
    String namespace = array.getMetadata().getNamespace();
    String name = array.getMetadata().getName();
    if (announcement instanceof ArrayAnnouncement.RotationStep step) {
      OperatorMetrics.rotationStep(namespace, name, step.kind().name());
    } else if (announcement instanceof ArrayAnnouncement.Revoked revoked) {
      OperatorMetrics.revoked(namespace, name, revoked.count());
    } else if (announcement instanceof ArrayAnnouncement.VerifyFailed failed) {
      failed.problems().forEach(p -> OperatorMetrics.verifyProblem(namespace, name, p.problem.name()));
    }
    announcement.event().ifPresent(e -> {
      if (EventRecorder.WARNING.equals(e.type())) {
        events.warning(array, e.reason(), e.message());
      } else {
        events.normal(array, e.reason(), e.message());
      }
    });
  }

  /** The map as it should be, then its status from the map as written (its generation may have moved). */
  private void writeCandidateMap(ArrayPlan.CandidateMapWrite write, Instant now) {
    CandidateMap written = ObjectWriter.apply(context, write.desired(), write.current());
    Optional<CandidateMapStatus> status = ArrayPlanner.mapStatus(written, write.problems(), now);
    if (status.isEmpty()) {
      return;
    }
    CandidateMap patch = CandidateMaps.resource(array, null);
    patch.getMetadata().setOwnerReferences(null);
    patch.getMetadata().setLabels(null);
    patch.getMetadata().setAnnotations(null);
    patch.setSpec(null);
    patch.setStatus(status.get());
    ObjectWriter.applyStatus(context.getClient(), patch);
  }
}
