package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.pki.LeafDecision;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Revocation;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps one issued Secret of a node right: signed by the signing CA, matching the profile,
 * renewed on time or on request, carrying the current bundle. A certificate replaced before its
 * time (renewal, changed names) is listed in the Secret's superseded annotation, written with its
 * successor, until the array has put it on the CRL.
 */
final class LeafIssuer {
  private LeafIssuer() {}

  record Result(String secretName, X509Certificate certificate, Instant renewalTime, String issuedReason) {}

  static Result ensure(ArrayNode node, IssuingView view, Context<ArrayNode> context, String secretName,
      String component, LeafProfile profile, Instant now) {
    String nodeName = node.getMetadata().getName();
    Optional<Secret> current = EventSources.get(context, Secret.class, EventSources.SECRETS,
        node.getMetadata().getNamespace(), secretName);
    // A certificate whose key is gone or is not its own counts as no certificate at all.
    X509Certificate currentCert = current.flatMap(LeafSecrets::leaf)
        .filter(cert -> LeafSecrets.holdsKeyOf(current.get(), cert)).orElse(null);
    String nodeToken = EventSources.annotation(node, Labels.RENEW);
    String arrayToken = view.arrayRenewalToken();
    boolean renewRequested = currentCert != null
        && (unanswered(nodeToken, current.get(), Labels.RENEWAL_TOKEN)
            || unanswered(arrayToken, current.get(), Labels.ARRAY_RENEWAL_TOKEN));
    LeafDecision decision = LeafDecision.decide(currentCert, profile, view.signing().certificate(), now, true,
        renewRequested);
    IssuedLeaf leaf = decision.issue()
        ? IssuedLeaf.issue(view.signing(), profile, now)
        : IssuedLeaf.existing(current.get(), currentCert);

    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(Labels.SIGNED_BY_GENERATION, Long.toString(view.signingGeneration()));
    annotations.put(Labels.TRUST_GENERATION, Long.toString(view.trustGeneration()));
    String answeredNode = decision.issue() ? nodeToken
        : current.flatMap(s -> LeafSecrets.annotation(s, Labels.RENEWAL_TOKEN)).orElse(null);
    String answeredArray = decision.issue() ? arrayToken
        : current.flatMap(s -> LeafSecrets.annotation(s, Labels.ARRAY_RENEWAL_TOKEN)).orElse(null);
    if (answeredNode != null) {
      annotations.put(Labels.RENEWAL_TOKEN, answeredNode);
    }
    if (answeredArray != null) {
      annotations.put(Labels.ARRAY_RENEWAL_TOKEN, answeredArray);
    }
    String superseded = superseded(current, currentCert, decision, view, nodeName, now);
    if (!superseded.isEmpty()) {
      annotations.put(Labels.SUPERSEDED, superseded);
    }
    var placement = new LeafSecrets.Placement(secretName, node, view.arrayName(), nodeName, component,
        view.templateLabels(), view.templateAnnotations());
    Secret desired = LeafSecrets.secret(placement,
        new LeafSecrets.Content(leaf.chainPem(), leaf.keyPem(), view.bundlePem(), Map.of()), annotations);
    ObjectWriter.apply(context, desired, current);
    return new Result(secretName, leaf.certificate(),
        LeafDecision.renewalTime(leaf.certificate(), profile.renewBefore()),
        decision.issue() ? decision.reason() : null);
  }

  private static boolean unanswered(String token, Secret secret, String annotation) {
    return token != null && !token.isEmpty()
        && !token.equals(LeafSecrets.annotation(secret, annotation).orElse(null));
  }

  /**
   * The superseded list after this decision: what was pending and is not yet on the array's
   * CRL, plus the certificate being replaced unless a rotation replaces it (the old CA is then
   * retired as a whole) or the node stands alone (no CRL).
   */
  private static String superseded(Optional<Secret> current, X509Certificate currentCert, LeafDecision decision,
      IssuingView view, String node, Instant now) {
    if (view.standalone()) {
      return "";
    }
    List<Revocation> pending = new ArrayList<>(Revocations.parseSuperseded(
        current.flatMap(s -> LeafSecrets.annotation(s, Labels.SUPERSEDED)).orElse(null), node, now));
    pending.removeIf(p -> p.notAfter().isBefore(now)
        || view.revoked().stream().anyMatch(r -> r.serial().equals(p.serial())));
    if (decision.issue() && currentCert != null && !LeafDecision.SIGNED_BY_ANOTHER_CA.equals(decision.reason())) {
      long generation = current.flatMap(s -> LeafSecrets.annotation(s, Labels.SIGNED_BY_GENERATION))
          .map(Long::parseLong).orElse(view.signingGeneration());
      pending.add(new Revocation(currentCert.getSerialNumber(), generation, now,
          currentCert.getNotAfter().toInstant(), node, "Renewed"));
    }
    return Revocations.formatSuperseded(pending);
  }
}
