package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.CsrSigning;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.pki.CsrPolicy;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.PkiException;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatus;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The signer {@code clusterarrays.arraypki.io/<namespace>.<array>}: signs approved
 * CertificateSigningRequests of nodes that keep their own key (DESIGN.md section 5), once each,
 * after checking who asks for what; anything else gets a Failed condition with a reason.
 */
@ControllerConfiguration(name = "csrsigner", generationAwareEventProcessing = false)
public class CsrSigner implements Reconciler<CertificateSigningRequest> {
  public static final String SIGNER_PREFIX = "clusterarrays.arraypki.io/";

  private final Clock clock;

  public CsrSigner(Clock clock) {
    this.clock = clock;
  }

  /** Only this operator's signer names reach the reconciler. */
  public static boolean ours(CertificateSigningRequest csr) {
    return csr.getSpec() != null && csr.getSpec().getSignerName() != null
        && csr.getSpec().getSignerName().startsWith(SIGNER_PREFIX);
  }

  /**
   * This operator's signer names for arrays in {@code namespaces} (every namespace when empty):
   * CertificateSigningRequests are cluster-scoped, and two installs watching disjoint namespaces
   * must not both sign (or refuse) the same request.
   */
  /** The CSR a node's certificate was signed from, on its Secret. */
  static final String CSR_ANNOTATION = "arraypki.io/csr";

  public static boolean ours(CertificateSigningRequest csr, java.util.Set<String> namespaces) {
    if (!ours(csr)) {
      return false;
    }
    if (namespaces.isEmpty()) {
      return true;
    }
    String target = csr.getSpec().getSignerName().substring(SIGNER_PREFIX.length());
    int dot = target.indexOf('.');
    return dot > 0 && namespaces.contains(target.substring(0, dot));
  }

  @Override
  public UpdateControl<CertificateSigningRequest> reconcile(CertificateSigningRequest csr,
      Context<CertificateSigningRequest> context) {
    if (!ours(csr) || done(csr) || !approved(csr)) {
      return UpdateControl.noUpdate(); // each CSR is signed at most once, and only once approved
    }
    Instant now = clock.instant();
    EventRecorder events = new EventRecorder(context.getClient(), clock);
    String target = csr.getSpec().getSignerName().substring(SIGNER_PREFIX.length());
    int dot = target.indexOf('.');
    if (dot < 1) {
      return fail(csr, context, events, "UnknownSigner", "signerName must be " + SIGNER_PREFIX + "<namespace>.<array>");
    }
    String namespace = target.substring(0, dot);
    String arrayName = target.substring(dot + 1);
    CsrPolicy.Request request;
    try {
      request = CsrPolicy.parse(new String(Base64.getDecoder().decode(csr.getSpec().getRequest()),
          StandardCharsets.UTF_8));
    } catch (PkiException | IllegalArgumentException e) {
      return fail(csr, context, events, "BadRequest", "the request is not a valid PEM certificate request");
    }
    // Read from the API, not from caches: signing is rare, and caches of every Node and Secret
    // would cost memory and a decode of every watch event all the time.
    Lookup lookup = Lookup.api(context.getClient());
    Optional<ArrayNode> node = context.getClient().resources(ArrayNode.class).inNamespace(namespace).list().getItems()
        .stream().filter(n -> n.getSpec() != null && arrayName.equals(n.getSpec().array)
            && request.commonName().equals(n.getSpec().peerDNSName)).findFirst();
    if (node.isEmpty()) {
      return fail(csr, context, events, "UnknownNode", "no Node of array " + arrayName + " in namespace " + namespace
          + " has peerDNSName " + request.commonName());
    }
    var spec = node.get().getSpec();
    if (spec.csrSigning != CsrSigning.Enabled || spec.keyProvider != KeyProvider.External) {
      return fail(csr, context, events, "SigningDisabled", "Node " + node.get().getMetadata().getName()
          + " does not allow CSR signing (it needs keyProvider: External and csrSigning: Enabled)");
    }
    if (spec.serviceAccountName != null && !spec.serviceAccountName.isEmpty()) {
      String expected = "system:serviceaccount:" + namespace + ":" + spec.serviceAccountName;
      if (!expected.equals(csr.getSpec().getUsername())) {
        return fail(csr, context, events, "WrongRequester", "only " + expected + " may ask for Node "
            + node.get().getMetadata().getName() + "'s certificates, not " + csr.getSpec().getUsername());
      }
    }
    List<String> usages = csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages();
    Optional<String> refused = CsrPolicy.refusal(request, spec.peerDNSName,
        spec.dnsNames == null ? List.of() : spec.dnsNames, spec.ipAddresses == null ? List.of() : spec.ipAddresses,
        usages);
    if (refused.isPresent()) {
      return fail(csr, context, events, refused.get().substring(0, refused.get().indexOf(':')),
          refused.get().substring(refused.get().indexOf(':') + 2));
    }
    ClusterArray array = lookup.get(ClusterArray.class, namespace, arrayName).orElse(null);
    boolean server = usages.contains("server auth");
    String nodeName = node.get().getMetadata().getName();
    if (!server && (array == null || array.getStatus() == null || array.getStatus().candidates == null
        || !array.getStatus().candidates.contains(nodeName))) {
      return fail(csr, context, events, "NotACandidate", "a client certificate is only for candidates; "
          + nodeName + " is not one");
    }
    IssuingView view = IssuingView.of(namespace, arrayName, lookup);
    if (view.waitingReason() != null) {
      return UpdateControl.<CertificateSigningRequest>noUpdate().rescheduleAfter(Duration.ofSeconds(5));
    }
    LeafProfile profile = server ? view.peerProfile(node.get()) : view.clientProfile(node.get());
    Instant notAfter = csr.getSpec().getExpirationSeconds() == null ? null
        : now.plusSeconds(csr.getSpec().getExpirationSeconds());
    IssuedLeaf leaf = IssuedLeaf.forPublicKey(view.signing(), profile, request.publicKey(), now, notAfter);
    String secretName = server ? Names.peerSecret(nodeName) : Names.clientSecret(nodeName);
    // The certificate goes on the CSR first, with the resourceVersion this reconcile saw: a second
    // reconcile on a stale cache gets 409 there and never overwrites the node's Secret.
    CertificateSigningRequest patch = copyForStatus(csr);
    patch.getStatus().setCertificate(Base64.getEncoder().encodeToString(
        leaf.chainPem().getBytes(StandardCharsets.UTF_8)));
    context.getClient().resource(patch).updateStatus();
    LeafIssuer.Target secretTarget = new LeafIssuer.Target(node.get(), nodeName, secretName,
        server ? Labels.COMPONENT_PEER : Labels.COMPONENT_CLIENT, profile,
        lookup.get(Secret.class, namespace, secretName), EventSources.annotation(node.get(), Labels.RENEW), true);
    LeafIssuer.signed(context, view, secretTarget, leaf, csr.getMetadata().getName(),
        Optional.ofNullable(csr.getSpec().getExpirationSeconds()).map(Integer::longValue), now);
    events.normal(node.get(), "CSRSigned", "signed CertificateSigningRequest " + csr.getMetadata().getName()
        + " into " + secretName + " (CA generation " + view.signingGeneration() + ")");
    return UpdateControl.noUpdate();
  }

  private static boolean done(CertificateSigningRequest csr) {
    var status = csr.getStatus();
    return status != null && (status.getCertificate() != null && !status.getCertificate().isEmpty()
        || hasCondition(csr, "Failed") || hasCondition(csr, "Denied"));
  }

  private static boolean approved(CertificateSigningRequest csr) {
    return hasCondition(csr, "Approved");
  }

  private static boolean hasCondition(CertificateSigningRequest csr, String type) {
    return csr.getStatus() != null && csr.getStatus().getConditions() != null
        && csr.getStatus().getConditions().stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private UpdateControl<CertificateSigningRequest> fail(CertificateSigningRequest csr,
      Context<CertificateSigningRequest> context, EventRecorder events, String reason, String message) {
    CertificateSigningRequest patch = copyForStatus(csr);
    String now = Conditions.timestamp(clock.instant());
    CertificateSigningRequestCondition failed = new CertificateSigningRequestConditionBuilder()
        .withType("Failed").withStatus("True").withReason(reason).withMessage(message)
        .withLastUpdateTime(now).withLastTransitionTime(now).build();
    patch.getStatus().getConditions().add(failed);
    context.getClient().resource(patch).updateStatus();
    events.warning(csr, reason, message);
    return UpdateControl.noUpdate();
  }

  private static CertificateSigningRequest copyForStatus(CertificateSigningRequest csr) {
    CertificateSigningRequest copy = StatusPatches.copy(csr, CertificateSigningRequest.class);
    if (copy.getStatus() == null) {
      copy.setStatus(new CertificateSigningRequestStatus());
    }
    if (copy.getStatus().getConditions() == null) {
      copy.getStatus().setConditions(new java.util.ArrayList<>());
    }
    return copy;
  }

}
