package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LegacyFinalizers;
import io.arraypki.operator.k8s.ObjectWriter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A member: joins its array (pin check), holds a peer certificate signed by the array's signing
 * CA and the array's trust bundle, renews it on time, stands alone with its own CA outside an
 * array, holds nothing while offline, and reports its role.
 *
 * <p>No finalizer (DESIGN.md section 3): a member's Secrets belong to its array, which revokes
 * and removes them once a live read shows the Node gone, so a namespace stays deletable while
 * the operator is down and a member costs no finalizer write.
 */
@ControllerConfiguration(name = "node", generationAwareEventProcessing = false)
public class NodeReconciler implements Reconciler<ArrayNode> {
  private static final String BY_ARRAY = "byArray";

  private final Clock clock;
  private final PasswordSecretReads passwordReads = new PasswordSecretReads();
  private final RenewalThrottle renewals = new RenewalThrottle();

  public NodeReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, ArrayNode>> prepareEventSources(EventSourceContext<ArrayNode> context) {
    var nodesByArray = context.getPrimaryCache();
    nodesByArray.addIndexer(BY_ARRAY, node -> node.getSpec() == null || node.getSpec().array == null
        ? List.of() : List.of(node.getMetadata().getNamespace() + "/" + node.getSpec().array));
    var arrays = InformerEventSourceConfiguration.from(ClusterArray.class, ArrayNode.class)
        .withName(EventSources.ARRAYS)
        .withSecondaryToPrimaryMapper(array -> membersOf(nodesByArray, array))
        .withPrimaryToSecondaryMapper((ArrayNode node) -> arrayOf(node))
        .withOnUpdateFilter(NodeReconciler::concernsMembers)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var secrets = InformerEventSourceConfiguration.from(Secret.class, ArrayNode.class)
        .withName(EventSources.SECRETS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(secret -> {
          String node = EventSources.label(secret, Labels.NODE);
          if (node != null) {
            return Set.of(new ResourceID(node, secret.getMetadata().getNamespace()));
          }
          return Labels.COMPONENT_CA.equals(EventSources.label(secret, Labels.COMPONENT))
              ? membersOf(nodesByArray, secret) : Set.of();
        })
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var configMaps = InformerEventSourceConfiguration.from(ConfigMap.class, ArrayNode.class)
        .withName(EventSources.CONFIG_MAPS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(cm -> membersOf(nodesByArray, cm))
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var roles = InformerEventSourceConfiguration.from(Role.class, ArrayNode.class)
        .withName(EventSources.ROLES)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(NodeReconciler::nodeOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var bindings = InformerEventSourceConfiguration.from(RoleBinding.class, ArrayNode.class)
        .withName(EventSources.ROLE_BINDINGS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(NodeReconciler::nodeOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    // The members' confirmations: a write to a trust Lease wakes its node (its status says what
    // the member loaded); only the Leases the operator made.
    var leases = InformerEventSourceConfiguration.from(Lease.class, ArrayNode.class)
        .withName(EventSources.LEASES)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(NodeReconciler::nodeOfLabel)
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields())
        .build();
    var arraySource = new InformerEventSource<>(arrays, context);
    // The keystore passwords are the user's Secrets: cached apart from the managed ones (and
    // from those of any other manager too, Helm's say), only Opaque ones (the type they are
    // made with), without their data (PasswordSecretReads reads a named one once per change),
    // so that a node hears at once of a password Secret its array names appearing or changing.
    var passwords = InformerEventSourceConfiguration.from(Secret.class, ArrayNode.class)
        .withName(EventSources.PASSWORD_SECRETS)
        .withLabelSelector(Labels.MANAGED_BY + "!=" + Labels.OPERATOR)
        .withFieldSelector(new FieldSelector(new FieldSelector.Field("type", "Opaque")))
        .withSecondaryToPrimaryMapper(secret -> arraySource.list(secret.getMetadata().getNamespace(),
                a -> a.getSpec() != null && KeystorePasswords.names(a.getSpec().keystores, secret.getMetadata().getName()))
            .flatMap(a -> membersOf(nodesByArray, a).stream())
            .collect(Collectors.toSet()))
        .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutData())
        .build();
    return List.of(
        arraySource,
        new InformerEventSource<>(passwords, context),
        new InformerEventSource<>(secrets, context),
        new InformerEventSource<>(configMaps, context),
        new InformerEventSource<>(roles, context),
        new InformerEventSource<>(bindings, context),
        new InformerEventSource<>(leases, context));
  }

  private static Set<ResourceID> nodeOfLabel(HasMetadata object) {
    String node = EventSources.label(object, Labels.NODE);
    return node == null ? Set.of() : Set.of(new ResourceID(node, object.getMetadata().getNamespace()));
  }

  /** The nodes of the array an object belongs to (by its name for arrays, else by label). */
  private static Set<ResourceID> membersOf(IndexedResourceCache<ArrayNode> nodes, HasMetadata object) {
    String array = object instanceof ClusterArray ? object.getMetadata().getName()
        : EventSources.label(object, Labels.ARRAY);
    if (array == null || array.isEmpty()) {
      return Set.of();
    }
    return nodes.byIndex(BY_ARRAY, object.getMetadata().getNamespace() + "/" + array).stream()
        .map(ResourceID::fromResource)
        .collect(Collectors.toSet());
  }

  private static Set<ResourceID> arrayOf(ArrayNode node) {
    return inAnArray(node)
        ? Set.of(new ResourceID(node.getSpec().array, node.getMetadata().getNamespace())) : Set.of();
  }

  private static boolean inAnArray(ArrayNode node) {
    return NodeObservation.inAnArray(node);
  }

  /** Array updates that change what members hold: spec, annotations, CA, bundle, candidates. */
  private static boolean concernsMembers(ClusterArray before, ClusterArray after) {
    if (!Objects.equals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration())
        || !Objects.equals(before.getMetadata().getAnnotations(), after.getMetadata().getAnnotations())) {
      return true;
    }
    var b = before.getStatus();
    var a = after.getStatus();
    if (b == null || a == null) {
      return b != a;
    }
    return StatusPatches.changed(b.ca, a.ca) || StatusPatches.changed(b.trustedCAs, a.trustedCAs)
        || !Objects.equals(b.candidates, a.candidates) || !Objects.equals(b.primary, a.primary);
  }

  /** An exception left no status before: the node now says why it is stuck (Ready=False). */
  @Override
  public ErrorStatusUpdateControl<ArrayNode> updateErrorStatus(ArrayNode node, Context<ArrayNode> context,
      Exception e) {
    if (!ReconcileFailure.reportable(e)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    NodeStatusBuilder builder = new NodeStatusBuilder(node.getStatus(), node.getMetadata().getGeneration(),
        clock.instant());
    ArrayNodeStatus status = builder.failed(ReconcileFailure.reason(e), ReconcileFailure.describe(e));
    if (!StatusPatches.changed(builder.before(), status)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    new EventRecorder(context.getClient(), clock).warning(node, ReconcileFailure.reason(e), ReconcileFailure.describe(e));
    return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(node, status, ArrayNode::new));
  }

  /** Observe, plan, apply (DESIGN.md sections 3 and 4 are in {@link NodePlanner}). */
  @Override
  public UpdateControl<ArrayNode> reconcile(ArrayNode node, Context<ArrayNode> context) {
    Instant now = clock.instant();
    try {
      NodeObservation observation = NodeObservation.read(node, context, passwordReads, renewals);
      NodePlan plan = NodePlanner.plan(observation, now);
      return apply(plan, node, context, now);
    } catch (RuntimeException e) {
      if (ReconcileFailure.namespaceTerminating(e)) {
        // Its namespace is going (creates are refused there, updates are not): look again later,
        // in case it stays Terminating for long (another controller's finalizer) while it runs.
        return UpdateControl.<ArrayNode>noUpdate().rescheduleAfter(ReconcileFailure.NAMESPACE_TERMINATING_RETRY);
      }
      throw e;
    }
  }

  /** Writes the plan in its order; nothing when nothing changed. */
  private UpdateControl<ArrayNode> apply(NodePlan plan, ArrayNode node, Context<ArrayNode> context, Instant now) {
    if (plan.quietUntil().isPresent()) {
      return UpdateControl.<ArrayNode>noUpdate().rescheduleAfter(WakeUp.after(now, plan.quietUntil().get()));
    }
    if (plan.createCa().isPresent()) {
      Secret desired = plan.createCa().get();
      Secret stored = ObjectWriter.createOnly(context, desired);
      if (!Objects.equals(stored.getData(), desired.getData())) {
        // Another process made this node's standalone CA first: this plan's leaves were signed
        // by a CA that was never stored. Plan again from the stored one.
        return UpdateControl.<ArrayNode>noUpdate().rescheduleAfter(java.time.Duration.ofSeconds(1));
      }
    }
    plan.leaves().forEach(leaf -> leaf.apply(context));
    plan.create().forEach(secret -> ObjectWriter.createOnly(context, secret));
    plan.delete().forEach(object -> ObjectWriter.delete(context, object));
    plan.access().delete().forEach(object -> ObjectWriter.delete(context, object));
    plan.access().apply().forEach(a -> applyAccess(context, a));
    EventRecorder events = new EventRecorder(context.getClient(), clock);
    plan.announcements().forEach(a -> a.announce(node, events));
    if (plan.statusChanged()) {
      StatusPatches.writeAndCache(node, plan.status(), ArrayNode::new, context);
    }
    if (plan.releaseLegacyFinalizer()) {
      LegacyFinalizers.release(context.getClient(), node);
    }
    UpdateControl<ArrayNode> control = UpdateControl.noUpdate();
    plan.wake().ifPresent(t -> control.rescheduleAfter(WakeUp.after(now, t)));
    return control;
  }

  private static <R extends HasMetadata> void applyAccess(Context<ArrayNode> context, NodeAccess.Apply<R> a) {
    ObjectWriter.apply(context, a.desired(), a.current());
  }
}
