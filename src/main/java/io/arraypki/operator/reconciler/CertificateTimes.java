package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CertificateStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationStatus;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.LeafDecision;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RegisteredController;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * When each certificate the operator keeps expires and is to be renewed, for /metrics: computed
 * when scraped, from what the informers hold now (as cert-manager's collectors do), so a deleted
 * array or node, a demoted candidate or a removed service certificate has no series left, and no
 * reconcile registers or forgets a meter.
 */
public final class CertificateTimes {
  private CertificateTimes() {}

  /** One certificate: node is empty for an array's own (its CA, its service certificate). */
  public record Row(String namespace, String array, String node, String kind, Instant notAfter,
      Optional<Instant> renewal) {}

  /**
   * The rows for these arrays and nodes. {@code services} holds the service certificate Secrets
   * by namespace/array; a CA brought in from an issuer Secret is not renewed by the operator, so
   * it has no renewal time.
   */
  public static List<Row> of(Collection<ClusterArray> arrays, Collection<ArrayNode> nodes,
      Map<String, Secret> services) {
    List<Row> rows = new ArrayList<>();
    for (ArrayNode node : nodes) {
      if (node.getStatus() == null) {
        continue;
      }
      String array = node.getSpec() == null || node.getSpec().array == null ? "" : node.getSpec().array;
      leafRow(node, array, "peer", node.getStatus().peerCertificate).ifPresent(rows::add);
      leafRow(node, array, "client", node.getStatus().clientCertificate).ifPresent(rows::add);
    }
    for (ClusterArray array : arrays) {
      String namespace = array.getMetadata().getNamespace();
      String name = array.getMetadata().getName();
      var ca = array.getStatus() == null ? null : array.getStatus().ca;
      ArraySettings settings = ArraySettings.of(array.getSpec());
      if (ca != null && ca.notAfter != null && ca.notBefore != null) {
        Instant notAfter = Instant.parse(ca.notAfter);
        boolean brought = array.getSpec().ca != null && array.getSpec().ca.issuerRef != null;
        // the renewal as scheduled (inside a window) when the status says it, else when it is due
        var renewal = array.getStatus().renewal;
        rows.add(new Row(namespace, name, "", "ca", notAfter, brought ? Optional.empty()
            : Optional.of(renewal != null && renewal.caRenewalTime != null ? Instant.parse(renewal.caRenewalTime)
                : LeafDecision.renewalTime(Instant.parse(ca.notBefore), notAfter, settings.caRenewBefore()))));
      }
      Optional<X509Certificate> service = array.getSpec().serviceCertificate == null ? Optional.empty()
          : Optional.ofNullable(services.get(namespace + "/" + name)).flatMap(LeafSecrets::leaf);
      service.ifPresent(c -> rows.add(new Row(namespace, name, "", "service", c.getNotAfter().toInstant(),
          Optional.of(LeafDecision.renewalTime(c, settings.service(array.getSpec().serviceCertificate).renewBefore())))));
    }
    return rows;
  }

  private static Optional<Row> leafRow(ArrayNode node, String array, String kind, CertificateStatus certificate) {
    if (certificate == null || certificate.notAfter == null) {
      return Optional.empty();
    }
    return Optional.of(new Row(node.getMetadata().getNamespace(), array, node.getMetadata().getName(), kind,
        Instant.parse(certificate.notAfter),
        Optional.ofNullable(certificate.renewalTime).map(Instant::parse)));
  }

  /**
   * The rows from a running operator's caches: its ClusterArray and Node controllers' own, and the
   * array controller's Secrets. Empty while the controllers are not started (a standby replica).
   */
  public static Supplier<List<Row>> fromCaches(Operator operator) {
    return () -> {
      Optional<Controller<ClusterArray>> arrays = controller(operator, ClusterArray.class);
      Optional<Controller<ArrayNode>> nodes = controller(operator, ArrayNode.class);
      if (arrays.isEmpty() || nodes.isEmpty()) {
        return List.of();
      }
      try {
        List<ClusterArray> allArrays = arrays.get().getEventSourceManager().getControllerEventSource().list().toList();
        List<ArrayNode> allNodes = nodes.get().getEventSourceManager().getControllerEventSource().list().toList();
        @SuppressWarnings("unchecked")
        InformerEventSource<Secret, ClusterArray> secrets = (InformerEventSource<Secret, ClusterArray>)
            arrays.get().getEventSourceManager().getEventSourceFor(Secret.class, EventSources.SECRETS);
        Map<String, Secret> services = secrets.list(s -> Labels.COMPONENT_SERVICE.equals(
                EventSources.label(s, Labels.COMPONENT)))
            .collect(Collectors.toMap(s -> s.getMetadata().getNamespace() + "/" + EventSources.label(s, Labels.ARRAY),
                Function.identity(), (a, b) -> a));
        return of(allArrays, allNodes, services);
      } catch (RuntimeException notStarted) {
        return List.of(); // a standby's informers are not running: the leader reports
      }
    };
  }

  /**
   * One array's times for /metrics: when its rotation in progress began and when its current
   * phase's wait is to end (both empty when idle), and when its CRLs' nextUpdate falls.
   */
  public record ArrayRow(String namespace, String array, Optional<String> phase, Optional<String> reason,
      Optional<Instant> rotationStartedAt, Optional<Instant> phaseEndsAt, Optional<Instant> crlNextUpdate) {}

  /** The array rows for these arrays; {@code trust} holds the trust ConfigMaps by namespace/array. */
  public static List<ArrayRow> arrayRows(Collection<ClusterArray> arrays, Map<String, ConfigMap> trust) {
    List<ArrayRow> rows = new ArrayList<>();
    for (ClusterArray array : arrays) {
      String namespace = array.getMetadata().getNamespace();
      String name = array.getMetadata().getName();
      RotationStatus rotation = array.getStatus() == null ? null : array.getStatus().rotation;
      boolean rotating = rotation != null && rotation.phase != null && rotation.phase != RotationPhase.Idle;
      ConfigMap trustConfigMap = trust.get(namespace + "/" + name);
      rows.add(new ArrayRow(namespace, name,
          rotating ? Optional.of(rotation.phase.name()) : Optional.empty(),
          rotating && rotation.reason != null ? Optional.of(rotation.reason.name()) : Optional.empty(),
          rotating ? instant(rotation.startedAt) : Optional.empty(),
          rotating ? instant(rotation.phaseEndsAt) : Optional.empty(),
          trustConfigMap == null ? Optional.empty() : TrustConfigMaps.crlNextUpdate(trustConfigMap)));
    }
    return rows;
  }

  private static Optional<Instant> instant(String text) {
    return text == null || text.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(text));
  }

  /** {@link #arrayRows} from a running operator's caches; empty on a standby. */
  public static Supplier<List<ArrayRow>> arraysFromCaches(Operator operator) {
    return () -> {
      Optional<Controller<ClusterArray>> arrays = controller(operator, ClusterArray.class);
      if (arrays.isEmpty()) {
        return List.of();
      }
      try {
        List<ClusterArray> allArrays = arrays.get().getEventSourceManager().getControllerEventSource().list().toList();
        @SuppressWarnings("unchecked")
        InformerEventSource<ConfigMap, ClusterArray> configMaps = (InformerEventSource<ConfigMap, ClusterArray>)
            arrays.get().getEventSourceManager().getEventSourceFor(ConfigMap.class, EventSources.CONFIG_MAPS);
        Map<String, ConfigMap> trust = new java.util.HashMap<>();
        for (ClusterArray array : allArrays) {
          String namespace = array.getMetadata().getNamespace();
          String name = array.getMetadata().getName();
          configMaps.get(new io.javaoperatorsdk.operator.processing.event.ResourceID(
              io.arraypki.operator.k8s.Names.trustConfigMap(name), namespace))
              .ifPresent(cm -> trust.put(namespace + "/" + name, cm));
        }
        return arrayRows(allArrays, trust);
      } catch (RuntimeException notStarted) {
        return List.of(); // a standby's informers are not running: the leader reports
      }
    };
  }

  /**
   * Per array (namespace/array), how many members that confirm on a trust Lease have not loaded
   * what their Secrets hold (trust state Loading or Stale), from the Node controller's cache;
   * arrays whose members are all current (or never confirm) have 0.
   */
  public static Supplier<Map<String, Long>> membersBehindFromCaches(Operator operator) {
    return () -> {
      Optional<Controller<ArrayNode>> nodes = controller(operator, ArrayNode.class);
      if (nodes.isEmpty()) {
        return Map.of();
      }
      try {
        return membersBehind(nodes.get().getEventSourceManager().getControllerEventSource().list().toList());
      } catch (RuntimeException notStarted) {
        return Map.of();
      }
    };
  }

  /** {@link #membersBehindFromCaches} over these nodes. */
  public static Map<String, Long> membersBehind(Collection<ArrayNode> nodes) {
    Map<String, Long> behind = new java.util.TreeMap<>();
    for (ArrayNode node : nodes) {
      if (node.getSpec() == null || node.getSpec().array == null || node.getSpec().array.isEmpty()) {
        continue;
      }
      var state = node.getStatus() == null || node.getStatus().trust == null ? null : node.getStatus().trust.state;
      boolean isBehind = state == io.arraypki.operator.api.TrustState.Loading
          || state == io.arraypki.operator.api.TrustState.Stale;
      behind.merge(node.getMetadata().getNamespace() + "/" + node.getSpec().array, isBehind ? 1L : 0L, Long::sum);
    }
    return behind;
  }

  @SuppressWarnings("unchecked")
  private static <P extends io.fabric8.kubernetes.api.model.HasMetadata> Optional<Controller<P>> controller(
      Operator operator, Class<P> kind) {
    for (RegisteredController<?> registered : operator.getRegisteredControllers()) {
      // JOSDK registers a Controller, which holds the event sources and their caches
      if (registered.getConfiguration().getResourceClass() == kind && registered instanceof Controller<?> c) {
        return Optional.of((Controller<P>) c);
      }
    }
    return Optional.empty();
  }
}
