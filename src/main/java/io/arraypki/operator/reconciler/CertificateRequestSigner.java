package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.CertificateRequestsSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.certmanager.CertificateRequest;
import io.arraypki.operator.ops.OperatorMetrics;
import io.arraypki.operator.pki.ClientRequestPolicy;
import io.arraypki.operator.pki.CsrPolicy;
import io.arraypki.operator.pki.GoDuration;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.Usage;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The array as a cert-manager external issuer: signs approved cert-manager CertificateRequests
 * whose issuerRef is {@code {group: arraypki.io, kind: ClusterArray, name: <array>}} in the
 * array's namespace, with the array's current CA, under its {@code spec.certificateRequests}
 * policy; as cert-manager's own issuers do: a denied request is never signed (Ready=False
 * Denied), an unapproved one waits, a refused one is Failed with the reason, and a request is
 * signed at most once. Registered only where cert-manager's CRDs are installed.
 *
 * <p>What the array reconciler needs from a signed request is put on it before its certificate:
 * the CA generation that signed it, the generations trusted then, and the certificates of the
 * same cert-manager Certificate it replaces ({@value #SUPERSEDED}), which the array revokes once
 * the client has had the trust propagation delay to load the new one.
 */
@ControllerConfiguration(name = "certificaterequests", generationAwareEventProcessing = false)
public class CertificateRequestSigner implements Reconciler<CertificateRequest> {
  public static final String CA_GENERATION = "arraypki.io/ca-generation";
  public static final String TRUSTED_GENERATIONS = "arraypki.io/trusted-generations";
  public static final String SUPERSEDED = io.arraypki.operator.k8s.Labels.SUPERSEDED;
  static final Duration ARRAY_MISSING_RETRY = Duration.ofSeconds(30);
  static final Duration WAITING_FOR_CA_RETRY = Duration.ofSeconds(5);

  private final Clock clock;

  public CertificateRequestSigner(Clock clock) {
    this.clock = clock;
  }

  /** Whether cert-manager's CertificateRequest kind is served (its CRDs are installed). */
  public static boolean certManagerInstalled(KubernetesClient client) {
    try {
      return client.supports(CertificateRequest.class);
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public UpdateControl<CertificateRequest> reconcile(CertificateRequest request, Context<CertificateRequest> context) {
    if (!request.forAnArray() || request.signed() || terminal(request.readyReason())) {
      return UpdateControl.noUpdate();
    }
    KubernetesClient client = context.getClient();
    EventRecorder events = new EventRecorder(client, clock);
    Instant now = clock.instant();
    if (request.hasTrue("Denied")) {
      writeReady(client, request, "False", "Denied", "The CertificateRequest was denied by an approval controller",
          true, now);
      return UpdateControl.noUpdate(); // never signed
    }
    if (!request.hasTrue("Approved")) {
      return UpdateControl.noUpdate(); // cert-manager says WaitingForApproval; the approval is an event here
    }
    String namespace = request.getMetadata().getNamespace();
    String arrayName = request.arrayName();
    Lookup lookup = Lookup.api(client);
    Optional<ClusterArray> array = lookup.get(ClusterArray.class, namespace, arrayName);
    if (array.isEmpty()) {
      return pending(client, request, "ClusterArray " + arrayName + " does not exist in namespace " + namespace, now,
          ARRAY_MISSING_RETRY);
    }
    CertificateRequestsSpec spec = array.get().getSpec().certificateRequests;
    if (spec == null || !Boolean.TRUE.equals(spec.enabled)) {
      return pending(client, request, "ClusterArray " + arrayName + " signs no CertificateRequests: set"
          + " spec.certificateRequests.enabled to true", now, ARRAY_MISSING_RETRY);
    }
    IssuingView view = IssuingView.of(namespace, arrayName, lookup);
    if (view.waitingReason() != null) {
      return pending(client, request, view.waitingMessage(), now, WAITING_FOR_CA_RETRY);
    }
    CsrPolicy.Request csr;
    Optional<Duration> asked;
    try {
      csr = CsrPolicy.parse(new String(Base64.getDecoder().decode(request.getSpec().request), StandardCharsets.UTF_8));
      asked = Optional.ofNullable(request.getSpec().duration).map(GoDuration::parse);
    } catch (PkiException | IllegalArgumentException | NullPointerException e) {
      return refuse(client, events, request, ClientRequestPolicy.Reason.BadRequest,
          "spec.request is not a PEM certificate request, or spec.duration not a duration", now);
    }
    ClientRequestPolicy.Decision decision = ClientRequestPolicy.decide(csr,
        Boolean.TRUE.equals(request.getSpec().isCA),
        request.getSpec().usages == null ? List.of() : request.getSpec().usages, asked,
        view.settings().client().duration(), policy(spec, view.settings()));
    if (decision instanceof ClientRequestPolicy.Decision.Refuse refused) {
      return refuse(client, events, request, refused.reason(), refused.message(), now);
    }
    ClientRequestPolicy.Decision.Sign sign = (ClientRequestPolicy.Decision.Sign) decision;
    LeafProfile profile = new LeafProfile(sign.commonName(), sign.dnsNames(), sign.ipAddresses(), sign.uris(),
        sign.usages(), KeyPairs.specOf(csr.publicKey()), sign.duration(), sign.duration().dividedBy(3));
    IssuedLeaf leaf = IssuedLeaf.forPublicKey(view.signing(), profile, csr.publicKey(), now, null);

    // What the array needs to know goes on the request first (with the resourceVersion read, so
    // that two operators never both sign it): a crash before the certificate is written leaves a
    // request that the next reconcile signs again, replacing these annotations.
    List<CertificateRequest> namespaceRequests = client.resources(CertificateRequest.class).inNamespace(namespace)
        .list().getItems();
    List<Revocation> superseded = superseded(request, namespaceRequests, now);
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(CA_GENERATION, Long.toString(view.signingGeneration()));
    annotations.put(TRUSTED_GENERATIONS, trustedGenerations(array.get()));
    annotations.put(SUPERSEDED, superseded.isEmpty() ? null : Revocations.formatSuperseded(superseded));
    CertificateRequest annotated = client.resource(request).patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        mergePatch(request.getMetadata().getResourceVersion(), annotations));

    CertificateRequest signed = copy(annotated);
    signed.getStatus().certificate = base64(leaf.chainPem());
    signed.getStatus().ca = base64(view.bundlePem());
    setReady(signed, "True", "Issued", "Certificate issued by CA generation " + view.signingGeneration()
        + " of ClusterArray " + arrayName, now);
    client.resource(signed).updateStatus();
    OperatorMetrics.issued(namespace, arrayName, "certificaterequest");
    events.normal(request, "Issued", "signed with CA generation " + view.signingGeneration() + " of ClusterArray "
        + arrayName + ": serial " + leaf.certificate().getSerialNumber().toString(16) + ", valid until "
        + leaf.certificate().getNotAfter().toInstant() + (superseded.isEmpty() ? ""
            : "; replaces " + superseded.size() + " certificate(s), revoked after the trust propagation delay"));
    return UpdateControl.noUpdate();
  }

  private static boolean terminal(String readyReason) {
    return "Issued".equals(readyReason) || "Failed".equals(readyReason) || "Denied".equals(readyReason);
  }

  /** The array's policy with its defaults: client auth only, at most the client certificates' lifetime. */
  static ClientRequestPolicy.Policy policy(CertificateRequestsSpec spec, ArraySettings settings) {
    Set<Usage> usages = EnumSet.noneOf(Usage.class);
    List<String> asked = spec.usages == null || spec.usages.isEmpty() ? List.of("client auth") : spec.usages;
    asked.forEach(u -> usages.add(u.equals("server auth") ? Usage.SERVER_AUTH : Usage.CLIENT_AUTH));
    return new ClientRequestPolicy.Policy(
        spec.dnsNames == null ? List.of() : spec.dnsNames,
        spec.ipRanges == null ? List.of() : spec.ipRanges,
        spec.uriPrefixes == null ? List.of() : spec.uriPrefixes,
        usages,
        spec.maxDuration == null ? settings.client().duration() : GoDuration.parse(spec.maxDuration));
  }

  /**
   * The certificates {@code request} replaces: those of the earlier revisions of the same
   * cert-manager Certificate that this array signed, and what those replaced in turn and is not
   * expired (kept forward, so that cert-manager deleting an old request loses nothing).
   */
  static List<Revocation> superseded(CertificateRequest request, List<CertificateRequest> inNamespace, Instant now) {
    String certificate = EventSources.annotation(request, CertificateRequest.CERTIFICATE_NAME);
    long revision = revision(request);
    if (certificate == null || revision < 0) {
      return List.of();
    }
    Map<java.math.BigInteger, Revocation> found = new LinkedHashMap<>();
    for (CertificateRequest earlier : inNamespace) {
      if (earlier.getMetadata().getName().equals(request.getMetadata().getName())
          || !certificate.equals(EventSources.annotation(earlier, CertificateRequest.CERTIFICATE_NAME))
          || !request.arrayName().equals(earlier.arrayName()) || revision(earlier) >= revision
          || !earlier.signed() || EventSources.annotation(earlier, CA_GENERATION) == null) {
        continue;
      }
      String holder = "certificate/" + certificate;
      Revocations.parseSuperseded(EventSources.annotation(earlier, SUPERSEDED), holder, now).stream()
          .filter(r -> r.notAfter().isAfter(now)).forEach(r -> found.putIfAbsent(r.serial(), r));
      try {
        X509Certificate cert = Pem.certificates(new String(Base64.getDecoder().decode(earlier.getStatus().certificate),
            StandardCharsets.UTF_8), "status.certificate").get(0);
        if (cert.getNotAfter().toInstant().isAfter(now)) {
          found.putIfAbsent(cert.getSerialNumber(), new Revocation(cert.getSerialNumber(),
              Long.parseLong(EventSources.annotation(earlier, CA_GENERATION)), now, cert.getNotAfter().toInstant(), holder,
              "Renewed"));
        }
      } catch (PkiException | IllegalArgumentException | IndexOutOfBoundsException e) {
        // a certificate that does not parse was not one this array could have signed
      }
    }
    return new ArrayList<>(found.values());
  }

  static long revision(CertificateRequest request) {
    try {
      String text = EventSources.annotation(request, CertificateRequest.CERTIFICATE_REVISION);
      return text == null ? -1 : Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String trustedGenerations(ClusterArray array) {
    var trusted = array.getStatus() == null ? null : array.getStatus().trustedCAs;
    return trusted == null ? "" : String.join(",", trusted.stream().map(t -> Long.toString(t.generation)).toList());
  }

  private static String mergePatch(String resourceVersion, Map<String, String> annotations) {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var root = json.createObjectNode();
    var metadata = root.putObject("metadata");
    metadata.put("resourceVersion", resourceVersion);
    var values = metadata.putObject("annotations");
    annotations.forEach((k, v) -> {
      if (v == null) {
        values.putNull(k);
      } else {
        values.put(k, v);
      }
    });
    return root.toString();
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private UpdateControl<CertificateRequest> pending(KubernetesClient client, CertificateRequest request,
      String message, Instant now, Duration retry) {
    writeReady(client, request, "False", "Pending", message, false, now);
    return UpdateControl.<CertificateRequest>noUpdate().rescheduleAfter(retry);
  }

  private UpdateControl<CertificateRequest> refuse(KubernetesClient client, EventRecorder events,
      CertificateRequest request, ClientRequestPolicy.Reason reason, String message, Instant now) {
    String text = reason.name() + ": " + message;
    writeReady(client, request, "False", "Failed", text, true, now);
    events.warning(request, reason.name(), text);
    return UpdateControl.noUpdate();
  }

  /** Writes Ready (and, for a final failure, failureTime) unless it already says exactly that. */
  private static void writeReady(KubernetesClient client, CertificateRequest request, String status, String reason,
      String message, boolean failed, Instant now) {
    boolean same = request.getStatus() != null && request.getStatus().conditions != null
        && request.getStatus().conditions.stream().anyMatch(c -> "Ready".equals(c.type) && status.equals(c.status)
            && reason.equals(c.reason) && message.equals(c.message));
    if (same) {
      return;
    }
    CertificateRequest patch = copy(request);
    setReady(patch, status, reason, message, now);
    if (failed && patch.getStatus().failureTime == null) {
      patch.getStatus().failureTime = Conditions.timestamp(now);
    }
    client.resource(patch).updateStatus();
  }

  private static void setReady(CertificateRequest request, String status, String reason, String message, Instant now) {
    List<CertificateRequest.Condition> conditions = request.getStatus().conditions;
    CertificateRequest.Condition old = conditions.stream().filter(c -> "Ready".equals(c.type)).findFirst().orElse(null);
    String since = old != null && status.equals(old.status) ? old.lastTransitionTime : Conditions.timestamp(now);
    conditions.removeIf(c -> "Ready".equals(c.type));
    conditions.add(new CertificateRequest.Condition("Ready", status, reason, message, since));
  }

  private static CertificateRequest copy(CertificateRequest request) {
    CertificateRequest copy = StatusPatches.copy(request, CertificateRequest.class);
    if (copy.getStatus() == null) {
      copy.setStatus(new CertificateRequest.Status());
    }
    if (copy.getStatus().conditions == null) {
      copy.getStatus().conditions = new ArrayList<>();
    }
    return copy;
  }
}
