package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.processing.event.rate.RateLimited;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The array: its CA generations and their rotation, the trust ConfigMap with the CRLs, the
 * revocation of material nodes no longer hold rightly, and the array's status. Members'
 * certificates are the {@link NodeReconciler}'s; they follow what this publishes.
 */
@ControllerConfiguration(name = "clusterarray", generationAwareEventProcessing = false)
// An array's reconcile looks at all its members, and every member's change wakes it: while a
// thousand nodes join, at most four reconciles a second (each sees all changes so far) keep
// that from costing the square of the array's size. The delay is at most a quarter second.
@RateLimited(maxReconciliations = 4, within = 1, unit = TimeUnit.SECONDS)
public class ClusterArrayReconciler implements Reconciler<ClusterArray> {
  static final String READY = "Ready";
  static final String DEGRADED = "Degraded";
  static final String ROTATING = "Rotating";
  static final String VERIFIED = "Verified";
  static final String LEDGER_CORRUPT = "RevocationLedgerCorrupt";
  static final String MEMBERS_CURRENT = "MembersCurrent";
  static final String RENEWAL_WINDOWS = "RenewalWindows";
  static final Duration ISSUER_RECHECK = Duration.ofSeconds(30);

  private final Clock clock;
  private final boolean certManager;

  public ClusterArrayReconciler(Clock clock) {
    this(clock, false);
  }

  /**
   * @param certManager whether cert-manager's CRDs are installed: then the array also watches the
   *     CertificateRequests it signed (their replaced certificates are revoked, and a rotation asks
   *     cert-manager to re-issue them)
   */
  public ClusterArrayReconciler(Clock clock, boolean certManager) {
    this.clock = clock;
    this.certManager = certManager;
  }

  @Override
  public List<EventSource<?, ClusterArray>> prepareEventSources(EventSourceContext<ClusterArray> context) {
    var nodes = InformerEventSourceConfiguration.from(ArrayNode.class, ClusterArray.class)
        .withName(EventSources.NODES)
        .withSecondaryToPrimaryMapper(ClusterArrayReconciler::arraysOfNode)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var secrets = InformerEventSourceConfiguration.from(Secret.class, ClusterArray.class)
        .withName(EventSources.SECRETS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var configMaps = InformerEventSourceConfiguration.from(ConfigMap.class, ClusterArray.class)
        .withName(EventSources.CONFIG_MAPS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var candidateMaps = InformerEventSourceConfiguration.from(CandidateMap.class, ClusterArray.class)
        .withName(EventSources.CANDIDATE_MAPS)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    // A member's confirmation can end a rotation's wait.
    var leases = InformerEventSourceConfiguration.from(Lease.class, ClusterArray.class)
        .withName(EventSources.LEASES)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    List<EventSource<?, ClusterArray>> sources = new java.util.ArrayList<>(List.of(
        new InformerEventSource<>(leases, context),
        EventSources.indexedByArray(new InformerEventSource<>(nodes, context),
            (ArrayNode n) -> n.getSpec() == null ? null : n.getSpec().array),
        EventSources.indexedByArray(new InformerEventSource<>(secrets, context),
            (Secret s) -> EventSources.label(s, Labels.ARRAY)),
        new InformerEventSource<>(configMaps, context),
        new InformerEventSource<>(candidateMaps, context)));
    if (certManager) {
      var requests = InformerEventSourceConfiguration.from(
              io.arraypki.operator.k8s.certmanager.CertificateRequest.class, ClusterArray.class)
          .withName(EventSources.CERTIFICATE_REQUESTS)
          .withSecondaryToPrimaryMapper(r -> r.forAnArray()
              ? Set.of(new ResourceID(r.arrayName(), r.getMetadata().getNamespace())) : Set.of())
          .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
          .build();
      sources.add(EventSources.indexedByArray(new InformerEventSource<>(requests, context),
          io.arraypki.operator.k8s.certmanager.CertificateRequest::arrayName));
    }
    return sources;
  }

  /** A node concerns the array it names and the array it has joined (when it is leaving). */
  private static Set<ResourceID> arraysOfNode(ArrayNode node) {
    Set<ResourceID> ids = new HashSet<>();
    String namespace = node.getMetadata().getNamespace();
    if (node.getSpec() != null && node.getSpec().array != null && !node.getSpec().array.isEmpty()) {
      ids.add(new ResourceID(node.getSpec().array, namespace));
    }
    if (node.getStatus() != null && node.getStatus().joinedArray != null) {
      ids.add(new ResourceID(node.getStatus().joinedArray.name, namespace));
    }
    return ids;
  }

  /**
   * Observe, plan, apply. A CA generation is created before the rest is planned (create-only:
   * the plan is made from the Secret that won), first a new array's, then a rotation's.
   */
  @Override
  public UpdateControl<ClusterArray> reconcile(ClusterArray array, Context<ClusterArray> context) {
    Instant now = clock.instant();
    ArrayApplier applier = new ArrayApplier(array, context, clock);
    try {
      ArrayObservation seen = ArrayObservation.read(array, context, now);
      seen = applier.create(seen, ArrayPlanner.firstGeneration(seen), now);
      ArrayPlanner.Rotation rotation = ArrayPlanner.rotation(seen, now);
      seen = applier.create(seen, rotation.create(), now);
      return applier.apply(ArrayPlanner.plan(seen, rotation, now), now);
    } catch (RuntimeException e) {
      if (ReconcileFailure.namespaceTerminating(e)) {
        // Its namespace is going (creates are refused there, updates are not): look again later,
        // in case it stays Terminating for long (another controller's finalizer) while it runs.
        return UpdateControl.<ClusterArray>noUpdate().rescheduleAfter(ReconcileFailure.NAMESPACE_TERMINATING_RETRY);
      }
      throw e;
    }
  }

  /**
   * An exception left no status before: the array now says why it is stuck (Degraded), and the
   * next reconcile that succeeds sets the condition from what it finds.
   */
  @Override
  public ErrorStatusUpdateControl<ClusterArray> updateErrorStatus(ClusterArray array, Context<ClusterArray> context,
      Exception e) {
    if (!ReconcileFailure.reportable(e)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    ClusterArrayStatus before = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    ClusterArrayStatus status = StatusPatches.copy(before, ClusterArrayStatus.class);
    status.conditions = Conditions.set(status.conditions, DEGRADED, true, ReconcileFailure.reason(e),
        ReconcileFailure.describe(e), array.getMetadata().getGeneration(), clock.instant());
    if (!StatusPatches.changed(before, status)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    new EventRecorder(context.getClient(), clock).warning(array, ReconcileFailure.reason(e), ReconcileFailure.describe(e));
    return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(array, status, ClusterArray::new));
  }
}
