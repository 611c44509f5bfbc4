package io.arraypki.operator.reconciler;

import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.pki.Keystores;
import io.arraypki.operator.pki.LeafDecision;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.SerialNumbers;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps one issued Secret right: signed by the signing CA, matching the profile, renewed on
 * time or on request, carrying the current bundle (and keystores when asked). A certificate
 * replaced before its time is listed in the Secret's superseded annotation, written with its
 * successor, until the array has put it on the CRL.
 */
final class LeafIssuer {
  static final String KEYSTORE_SOURCE = "arraypki.io/keystore-source";

  private LeafIssuer() {}

  /**
   * Which Secret, of whom, for what.
   *
   * @param owner the Secret's controller: a member's Secrets belong to its array (so that they
   *     outlive a deleted Node until the array has revoked them), a standalone node's to the node
   * @param handedOverFrom a former controller whose Secret of that name is taken over (a member's
   *     own Node: its Secrets from before they were the array's, or from while it stood alone); null for none
   */
  record Target(HasMetadata owner, String node, String secretName, String component, LeafProfile profile,
      Optional<Secret> current, String ownToken, boolean externalKey, HasMetadata handedOverFrom) {
    Target(HasMetadata owner, String node, String secretName, String component, LeafProfile profile,
        Optional<Secret> current, String ownToken) {
      this(owner, node, secretName, component, profile, current, ownToken, false, null);
    }
  }

  /**
   * @param issuedReason why a certificate was issued in this reconcile, null when it was kept
   * @param repairedDamage the damage the certificate held now was issued to repair, in this
   *     reconcile or an earlier one (recorded on its Secret), null when it repaired none
   */
  record Result(String secretName, X509Certificate certificate, Instant renewalTime, String issuedReason,
      String repairedDamage, String outsideWindow) {

    Result(String secretName, X509Certificate certificate, Instant renewalTime, String issuedReason,
        String repairedDamage) {
      this(secretName, certificate, renewalTime, issuedReason, repairedDamage, null);
    }

    boolean repaired() {
      return repairedDamage != null;
    }

    /**
     * A Warning SecretRepaired for a repair, a Normal Event for a renewal or a change of names,
     * key or usages. None when nothing was issued, and none for the first certificate or a
     * re-signing by a new CA: the status tells those, and the array's Events tell a rotation
     * (an Event per member would double the writes when a thousand members join or move).
     */
    void announce(EventRecorder events, HasMetadata about, String issuedEvent, String what) {
      if (issuedReason == null || LeafDecision.NOT_ISSUED.equals(issuedReason)
          || LeafDecision.SIGNED_BY_ANOTHER_CA.equals(issuedReason)) {
        return;
      }
      String serial = SerialNumbers.format(certificate.getSerialNumber());
      if (repaired()) {
        events.warning(about, "SecretRepaired", secretName + " was damaged (" + repairedDamage + "): issued " + what
            + " " + serial + " anew");
      } else if (outsideWindow != null) {
        events.warning(about, "RenewedOutsideWindow", "issued " + what + " " + serial + " (" + issuedReason + ")"
            + " outside the renewal windows: " + outsideWindow);
      } else {
        events.normal(about, issuedEvent, "issued " + what + " " + serial + " (" + issuedReason + ")");
      }
    }
  }

  /** The lifetime a CSR asked for (expirationSeconds), kept so that later re-signings keep to it. */
  static final String REQUESTED_LIFETIME = "arraypki.io/requested-lifetime-seconds";

  /**
   * The Secret a target is to hold and what it holds then, decided without writing: the
   * planners' half of {@link #ensure}. Null when a node that keeps its key has nothing signed yet.
   */
  record Planned(Secret desired, Optional<Secret> current, Result result, HasMetadata handedOverFrom) {
    /** Whether applying it writes anything. */
    boolean writes() {
      return !ObjectWriter.unchanged(current, desired);
    }

    <P extends HasMetadata> void apply(Context<P> context) {
      ObjectWriter.apply(context, desired, current, handedOverFrom);
    }
  }

  static <P extends HasMetadata> Result ensure(Context<P> context, IssuingView view, Target target, Instant now) {
    Planned planned = plan(view, target, now);
    if (planned == null) {
      return null;
    }
    planned.apply(context);
    return planned.result();
  }

  static Planned plan(IssuingView view, Target target, Instant now) {
    Optional<Secret> current = target.current();
    // A certificate whose key is gone or is not its own counts as no certificate at all; a key
    // the node keeps itself is never here to check.
    Optional<String> damage = current.flatMap(secret -> LeafSecrets.damage(secret, !target.externalKey()));
    X509Certificate currentCert = damage.isPresent() ? null : current.flatMap(LeafSecrets::leaf).orElse(null);
    if (target.externalKey() && currentCert == null) {
      return null; // nothing to re-sign until the node's first CSR is signed
    }
    Optional<Long> requestedLifetime = requestedLifetime(current);
    LeafProfile profile = lifetimeAsked(target.profile(), requestedLifetime);
    String arrayToken = view.arrayRenewalToken();
    boolean renewRequested = currentCert != null
        && (unanswered(target.ownToken(), current.get(), Labels.RENEWAL_TOKEN)
            || unanswered(arrayToken, current.get(), Labels.ARRAY_RENEWAL_TOKEN));
    boolean revoked = currentCert != null
        && view.revoked().stream().anyMatch(r -> r.serial().equals(currentCert.getSerialNumber()));
    RenewalPolicy renewal = view.renewal(now);
    double spread = spread(target);
    LeafDecision decision = revoked ? LeafDecision.revoked()
        : LeafDecision.decide(currentCert, profile, view.signing().certificate(), now,
            !target.externalKey(), renewRequested, renewal.windows(), spread);
    if (decision.issue() && LeafDecision.RENEWAL_DUE.equals(decision.reason()) && !renewal.windows().isEmpty()
        && decision.outsideWindow() == null) {
      // a time-based renewal inside a window counts against the array's bound per minute; refused,
      // it asks again (one at its last safe moment never waits)
      Optional<Instant> refusedUntil = view.admission().refusedUntil(now);
      if (refusedUntil.isPresent()) {
        decision = new LeafDecision(LeafDecision.Action.KEEP, "", refusedUntil.get());
      }
    }
    IssuedLeaf leaf;
    if (!decision.issue()) {
      leaf = IssuedLeaf.existing(current.get(), currentCert);
    } else if (target.externalKey()) {
      // The node keeps its key: its public key is signed again (a new CA, a renewal).
      leaf = IssuedLeaf.forPublicKey(view.signing(), profile, currentCert.getPublicKey(), now, null);
    } else {
      leaf = IssuedLeaf.issue(view.signing(), profile, now);
    }
    Map<String, String> carried = new LinkedHashMap<>();
    requestedLifetime.ifPresent(seconds -> carried.put(REQUESTED_LIFETIME, Long.toString(seconds)));
    current.flatMap(s -> LeafSecrets.annotation(s, CsrSigner.CSR_ANNOTATION))
        .ifPresent(csr -> carried.put(CsrSigner.CSR_ANNOTATION, csr));
    return desired(view, target, profile, damage, currentCert, decision, leaf, carried, now);
  }

  /**
   * Where in a renewal window this Secret renews: a hash of who holds it (the owner's uid and the
   * Secret's name), so that members issued together renew apart, and a restart moves nobody.
   */
  static double spread(Target target) {
    String owner = target.owner() == null || target.owner().getMetadata().getUid() == null ? ""
        : target.owner().getMetadata().getUid();
    return io.arraypki.operator.pki.RenewalTime.spread(owner + "/" + target.secretName());
  }

  /**
   * A certificate the CSR signer made for a node that keeps its key, written by the same writer
   * as every other leaf: the certificate it replaces is recorded as superseded (and so reaches
   * the CRL), and the renew requests pending are answered by it.
   *
   * @param requestedLifetime the CSR's expirationSeconds, if it set one
   */
  static <P extends HasMetadata> Result signed(Context<P> context, IssuingView view, Target target, IssuedLeaf leaf,
      String csrName, Optional<Long> requestedLifetime, Instant now) {
    Optional<Secret> current = target.current();
    X509Certificate currentCert = current.flatMap(LeafSecrets::leaf).orElse(null);
    Map<String, String> carried = new LinkedHashMap<>();
    carried.put(CsrSigner.CSR_ANNOTATION, csrName);
    requestedLifetime.ifPresent(seconds -> carried.put(REQUESTED_LIFETIME, Long.toString(seconds)));
    LeafProfile profile = lifetimeAsked(target.profile(), requestedLifetime);
    Planned planned = desired(view, target, profile, Optional.empty(), currentCert, LeafDecision.signedRequest(),
        leaf, carried, now);
    planned.apply(context);
    return planned.result();
  }

  /** The one maker of issued Secrets: annotations, superseded list, keystores (then applied as planned). */
  private static Planned desired(IssuingView view, Target target,
      LeafProfile profile, Optional<String> damage, X509Certificate currentCert, LeafDecision decision,
      IssuedLeaf leaf, Map<String, String> carried, Instant now) {
    Optional<Secret> current = target.current();
    String arrayToken = view.arrayRenewalToken();
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(Labels.SIGNED_BY_GENERATION, Long.toString(view.signingGeneration()));
    annotations.put(Labels.TRUST_GENERATION, Long.toString(view.trustGeneration()));
    if (target.handedOverFrom() != null && target.handedOverFrom().getMetadata().getUid() != null) {
      annotations.put(Labels.NODE_UID, target.handedOverFrom().getMetadata().getUid());
    }
    putIfNotNull(annotations, Labels.RENEWAL_TOKEN, decision.issue() ? target.ownToken()
        : current.flatMap(s -> LeafSecrets.annotation(s, Labels.RENEWAL_TOKEN)).orElse(null));
    putIfNotNull(annotations, Labels.ARRAY_RENEWAL_TOKEN, decision.issue() ? arrayToken
        : current.flatMap(s -> LeafSecrets.annotation(s, Labels.ARRAY_RENEWAL_TOKEN)).orElse(null));
    String repairedDamage = decision.issue() ? damage.orElse(null)
        : current.flatMap(s -> LeafSecrets.annotation(s, Labels.REPAIRED_DAMAGE)).orElse(null);
    putIfNotNull(annotations, Labels.REPAIRED_DAMAGE, repairedDamage);
    String superseded = superseded(current, currentCert, decision, view, target.node(), now);
    if (!superseded.isEmpty()) {
      annotations.put(Labels.SUPERSEDED, superseded);
    }
    annotations.putAll(carried);
    Map<String, byte[]> keystores = keystores(view, leaf, current, annotations);
    var placement = new LeafSecrets.Placement(target.secretName(), target.owner(), view.arrayName(), target.node(),
        target.component(), view.templateLabels(), view.templateAnnotations());
    Secret desired = LeafSecrets.secret(placement,
        new LeafSecrets.Content(leaf.chainPem(), leaf.keyPem(), view.bundlePem(), keystores), annotations);
    if (decision.issue() && leaf.keyPem() != null) {
      LeafSecrets.rememberIssued(desired, leaf.certificate());
    }
    // when the certificate now held renews: the kept one's decision says it (a refused renewal
    // asks again soon); a new one's is scheduled like any
    Instant renewal = decision.issue()
        ? LeafDecision.scheduled(leaf.certificate(), profile.renewBefore(), view.renewal(now).windows(), spread(target))
            .at()
        : decision.renewalTime() != null ? decision.renewalTime()
        : LeafDecision.renewalTime(leaf.certificate(), profile.renewBefore());
    return new Planned(desired, current, new Result(target.secretName(), leaf.certificate(), renewal,
        decision.issue() ? damage.orElse(decision.reason()) : null, repairedDamage,
        decision.issue() ? decision.outsideWindow() : null), target.handedOverFrom());
  }

  private static Optional<Long> requestedLifetime(Optional<Secret> current) {
    try {
      return current.flatMap(s -> LeafSecrets.annotation(s, REQUESTED_LIFETIME)).map(Long::parseLong)
          .filter(seconds -> seconds > 0);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The profile with the lifetime a CSR asked for, when it asked for one. */
  private static LeafProfile lifetimeAsked(LeafProfile p, Optional<Long> requestedLifetime) {
    return requestedLifetime.map(seconds -> new LeafProfile(p.commonName(), p.dnsNames(), p.ipAddresses(), p.uris(),
        p.usages(), p.keySpec(), java.time.Duration.ofSeconds(seconds), p.renewBefore())).orElse(p);
  }

  /**
   * keystore.p12 / truststore.p12 / keystore.jks / truststore.jks. Keystores carry random salts,
   * so they are written anew only when what goes in (chain, key, bundle, passwords) changed.
   */
  private static Map<String, byte[]> keystores(IssuingView view, IssuedLeaf leaf, Optional<Secret> current,
      Map<String, String> annotations) {
    KeystorePasswords passwords = view.keystores();
    if (passwords == null || !passwords.wanted() || leaf.keyPem() == null) {
      return Map.of();
    }
    String source = sha256(leaf.chainPem() + leaf.keyPem() + view.bundlePem() + passwords.pkcs12() + "/"
        + passwords.jks());
    annotations.put(KEYSTORE_SOURCE, source.substring(0, 32));
    Map<String, byte[]> out = new LinkedHashMap<>();
    boolean unchanged = current.flatMap(s -> LeafSecrets.annotation(s, KEYSTORE_SOURCE))
        .map(source.substring(0, 32)::equals).orElse(false);
    if (unchanged) {
      for (String key : List.of("keystore.p12", "truststore.p12", "keystore.jks", "truststore.jks")) {
        current.map(Secret::getData).map(d -> d.get(key))
            .ifPresent(b64 -> out.put(key, java.util.Base64.getDecoder().decode(b64)));
      }
      return out;
    }
    var chain = Pem.certificates(leaf.chainPem(), "tls.crt");
    var key = Pem.privateKey(leaf.keyPem(), "tls.key");
    var bundle = Pem.certificates(view.bundlePem(), "ca.crt");
    if (passwords.pkcs12() != null) {
      char[] pw = passwords.pkcs12().toCharArray();
      out.put("keystore.p12", Keystores.keystore("PKCS12", chain, key, pw));
      out.put("truststore.p12", Keystores.truststore("PKCS12", bundle, pw));
    }
    if (passwords.jks() != null) {
      char[] pw = passwords.jks().toCharArray();
      out.put("keystore.jks", Keystores.keystore("JKS", chain, key, pw));
      out.put("truststore.jks", Keystores.truststore("JKS", bundle, pw));
    }
    return out;
  }

  private static void putIfNotNull(Map<String, String> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
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

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
