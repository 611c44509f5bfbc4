package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.CsrSigning;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
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
import java.security.cert.X509Certificate;
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
    if (!ours(csr) || refusedOrDenied(csr) || !approved(csr)) {
      return UpdateControl.noUpdate(); // each CSR is signed at most once, and only once approved
    }
    Instant now = clock.instant();
    EventRecorder events = new EventRecorder(context.getClient(), clock);
    boolean signedBefore = signed(csr);
    Checked checked;
    try {
      checked = check(csr, Lookup.api(context.getClient()));
    } catch (Refused r) {
      // A signed CSR keeps its certificate and gets no Failed condition afterwards: the checks
      // that fail now (the node left, was demoted) only keep it from being written again.
      return signedBefore ? UpdateControl.noUpdate() : fail(csr, context, events, r.reason, r.getMessage());
    }
    if (checked == null) {
      // Waiting for the array's CA: a new request is looked at again soon; a signed one waits for
      // its next event (a stale CSR of a deleted array must not poll for ever).
      return signedBefore ? UpdateControl.noUpdate()
          : UpdateControl.<CertificateSigningRequest>noUpdate().rescheduleAfter(Duration.ofSeconds(5));
    }
    if (signedBefore) {
      return recover(csr, checked, context, events, now);
    }
    Instant notAfter = csr.getSpec().getExpirationSeconds() == null ? null
        : now.plusSeconds(csr.getSpec().getExpirationSeconds());
    IssuedLeaf leaf = IssuedLeaf.forPublicKey(checked.view.signing(), checked.profile, checked.request.publicKey(),
        now, notAfter);
    // The certificate goes on the CSR first, with the resourceVersion this reconcile saw: a second
    // reconcile on a stale cache gets 409 there and never overwrites the node's Secret. A crash
    // between the two writes is mended by recover() on the next reconcile of this CSR.
    CertificateSigningRequest patch = copyForStatus(csr);
    patch.getStatus().setCertificate(Base64.getEncoder().encodeToString(
        leaf.chainPem().getBytes(StandardCharsets.UTF_8)));
    context.getClient().resource(patch).updateStatus();
    writeSecret(csr, checked, leaf, context, now);
    events.normal(checked.node, "CSRSigned", "signed CertificateSigningRequest " + csr.getMetadata().getName()
        + " into " + checked.secretName + " (CA generation " + checked.view.signingGeneration() + ")");
    return UpdateControl.noUpdate();
  }

  /** Who asks for what, found and checked; null while the array cannot issue yet. */
  private record Checked(ArrayNode node, CsrPolicy.Request request, boolean server, IssuingView view,
      LeafProfile profile, String secretName, Lookup lookup, String namespace) {}

  /** A refusal: a reason (a Failed condition's reason) and a message. */
  private static final class Refused extends Exception {
    final String reason;

    Refused(String reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }

  private Checked check(CertificateSigningRequest csr, Lookup lookup) throws Refused {
    String target = csr.getSpec().getSignerName().substring(SIGNER_PREFIX.length());
    int dot = target.indexOf('.');
    if (dot < 1) {
      throw new Refused("UnknownSigner", "signerName must be " + SIGNER_PREFIX + "<namespace>.<array>");
    }
    String namespace = target.substring(0, dot);
    String arrayName = target.substring(dot + 1);
    CsrPolicy.Request request;
    try {
      request = CsrPolicy.parse(new String(Base64.getDecoder().decode(csr.getSpec().getRequest()),
          StandardCharsets.UTF_8));
    } catch (PkiException | IllegalArgumentException e) {
      throw new Refused("BadRequest", "the request is not a valid PEM certificate request");
    }
    // Read from the API, not from caches: signing is rare, and caches of every Node and Secret
    // would cost memory and a decode of every watch event all the time.
    Optional<ArrayNode> node = findNode(lookup, csr, namespace, arrayName, request.commonName());
    if (node.isEmpty()) {
      throw new Refused("UnknownNode", "no Node of array " + arrayName + " in namespace " + namespace
          + " has peerDNSName " + request.commonName());
    }
    var spec = node.get().getSpec();
    if (spec.csrSigning != CsrSigning.Enabled || spec.keyProvider != KeyProvider.External) {
      throw new Refused("SigningDisabled", "Node " + node.get().getMetadata().getName()
          + " does not allow CSR signing (it needs keyProvider: External and csrSigning: Enabled)");
    }
    if (spec.serviceAccountName != null && !spec.serviceAccountName.isEmpty()) {
      String expected = "system:serviceaccount:" + namespace + ":" + spec.serviceAccountName;
      if (!expected.equals(csr.getSpec().getUsername())) {
        throw new Refused("WrongRequester", "only " + expected + " may ask for Node "
            + node.get().getMetadata().getName() + "'s certificates, not " + csr.getSpec().getUsername());
      }
    }
    List<String> usages = csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages();
    Optional<String> refused = CsrPolicy.refusal(request, spec.peerDNSName,
        spec.dnsNames == null ? List.of() : spec.dnsNames, spec.ipAddresses == null ? List.of() : spec.ipAddresses,
        usages);
    if (refused.isPresent()) {
      throw new Refused(refused.get().substring(0, refused.get().indexOf(':')),
          refused.get().substring(refused.get().indexOf(':') + 2));
    }
    ClusterArray array = lookup.get(ClusterArray.class, namespace, arrayName).orElse(null);
    boolean server = usages.contains("server auth");
    String nodeName = node.get().getMetadata().getName();
    if (!server && (array == null || array.getStatus() == null || array.getStatus().candidates == null
        || !array.getStatus().candidates.contains(nodeName))) {
      throw new Refused("NotACandidate", "a client certificate is only for candidates; " + nodeName + " is not one");
    }
    IssuingView view = IssuingView.of(namespace, arrayName, lookup);
    if (view.waitingReason() != null) {
      return null;
    }
    LeafProfile profile = server ? view.peerProfile(node.get()) : view.clientProfile(node.get());
    String secretName = server ? Names.peerSecret(nodeName) : Names.clientSecret(nodeName);
    return new Checked(node.get(), request, server, view, profile, secretName, lookup, namespace);
  }

  /** The CSR's certificate never reached the node's Secret (a crash in between): write it now. */
  private UpdateControl<CertificateSigningRequest> recover(CertificateSigningRequest csr, Checked checked,
      Context<CertificateSigningRequest> context, EventRecorder events, Instant now) {
    if (!ArrayFacts.entitled(checked.node)) {
      return UpdateControl.noUpdate(); // an offline node holds nothing; its array removed what it had
    }
    String chain = new String(Base64.getDecoder().decode(csr.getStatus().getCertificate()), StandardCharsets.UTF_8);
    X509Certificate signed;
    try {
      signed = io.arraypki.operator.pki.Pem.certificates(chain, "the CSR's certificate").get(0);
    } catch (PkiException | IndexOutOfBoundsException e) {
      return UpdateControl.noUpdate();
    }
    Optional<Secret> current = checked.lookup.get(Secret.class, checked.namespace, checked.secretName);
    CsrRecovery.Outcome outcome = CsrRecovery.decide(current.flatMap(LeafSecrets::leaf), signed,
        checked.request.publicKey(), checked.view.signing().certificate(), checked.view.revoked(), now);
    if (!outcome.write()) {
      return UpdateControl.noUpdate();
    }
    writeSecret(csr, checked, new IssuedLeaf(signed, chain, null), context, now);
    events.normal(checked.node, "CSRCertificateRecovered", "wrote the certificate of CertificateSigningRequest "
        + csr.getMetadata().getName() + " into " + checked.secretName + ": it was signed but never stored");
    return UpdateControl.noUpdate();
  }

  private static void writeSecret(CertificateSigningRequest csr, Checked checked, IssuedLeaf leaf,
      Context<CertificateSigningRequest> context, Instant now) {
    String nodeName = checked.node.getMetadata().getName();
    LeafIssuer.Target secretTarget = new LeafIssuer.Target(checked.view.array(), nodeName, checked.secretName,
        checked.server ? Labels.COMPONENT_PEER : Labels.COMPONENT_CLIENT, checked.profile,
        checked.lookup.get(Secret.class, checked.namespace, checked.secretName),
        EventSources.annotation(checked.node, Labels.RENEW), true, checked.node);
    LeafIssuer.signed(context, checked.view, secretTarget, leaf, csr.getMetadata().getName(),
        Optional.ofNullable(csr.getSpec().getExpirationSeconds()).map(Integer::longValue), now);
  }

  /** Names a CSR may carry for the Node it is for. */
  static final String NODE_ANNOTATION = "arraypki.io/node";
  private static final int PAGE = 100;

  /**
   * The Node of {@code array} whose peerDNSName is {@code commonName}, found without listing
   * every Node: the Node the CSR names (annotation {@value #NODE_ANNOTATION}), then the Node
   * named by the name's first label (peer DNS names are {@code <node>.<array>...} by
   * convention), and only when neither is it, the Nodes page by page until it is found.
   */
  static Optional<ArrayNode> findNode(Lookup lookup,
      CertificateSigningRequest csr, String namespace, String array, String commonName) {
    java.util.function.Predicate<ArrayNode> isIt = n -> n.getSpec() != null && array.equals(n.getSpec().array)
        && commonName.equals(n.getSpec().peerDNSName);
    for (String name : likelyNames(csr, commonName)) {
      Optional<ArrayNode> found = lookup.get(ArrayNode.class, namespace, name).filter(isIt);
      if (found.isPresent()) {
        return found;
      }
    }
    String token = null;
    do {
      var page = lookup.client().resources(ArrayNode.class).inNamespace(namespace)
          .list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit((long) PAGE)
              .withContinue(token).build());
      Optional<ArrayNode> found = page.getItems().stream().filter(isIt).findFirst();
      if (found.isPresent()) {
        return found;
      }
      token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (token != null && !token.isEmpty());
    return Optional.empty();
  }

  /** The Node names to try first, in order: what the CSR says, then the common name's first label. */
  static List<String> likelyNames(CertificateSigningRequest csr, String commonName) {
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    String named = EventSources.annotation(csr, NODE_ANNOTATION);
    if (named != null && !named.isBlank()) {
      names.add(named);
    }
    int dot = commonName.indexOf('.');
    String first = dot > 0 ? commonName.substring(0, dot) : commonName;
    if (!first.isEmpty() && first.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      names.add(first);
    }
    return List.copyOf(names);
  }

  private static boolean signed(CertificateSigningRequest csr) {
    var status = csr.getStatus();
    return status != null && status.getCertificate() != null && !status.getCertificate().isEmpty();
  }

  private static boolean refusedOrDenied(CertificateSigningRequest csr) {
    return hasCondition(csr, "Failed") || hasCondition(csr, "Denied");
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
