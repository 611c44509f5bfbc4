package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a node's certificates are issued from, read from the caches: the array (or the
 * node's own standalone CA), the signing CA, the bundle to trust, the renew tokens. When the node
 * cannot be issued yet, {@link #waitingReason()} says why.
 */
record IssuingView(
    String arrayName,
    ClusterArray array,
    ArraySettings settings,
    CertificateAuthority signing,
    long signingGeneration,
    String bundlePem,
    long trustGeneration,
    List<Revocation> revoked,
    KeystorePasswords keystores,
    String waitingReason,
    String waitingMessage,
    RenewalThrottle.Admission admission) {

  IssuingView(String arrayName, ClusterArray array, ArraySettings settings, CertificateAuthority signing,
      long signingGeneration, String bundlePem, long trustGeneration, List<Revocation> revoked,
      KeystorePasswords keystores, String waitingReason, String waitingMessage) {
    this(arrayName, array, settings, signing, signingGeneration, bundlePem, trustGeneration, revoked, keystores,
        waitingReason, waitingMessage, RenewalThrottle.Admission.ALWAYS);
  }

  /** The same view, whose time-based renewals ask {@code admission} first (the array's bound per minute). */
  IssuingView withAdmission(RenewalThrottle.Admission admission) {
    return new IssuingView(arrayName, array, settings, signing, signingGeneration, bundlePem, trustGeneration, revoked,
        keystores, waitingReason, waitingMessage, admission);
  }

  /** At most this many time-based renewals of the array start in a minute. */
  int maxRenewalsPerMinute() {
    var renewal = array == null ? null : array.getSpec().renewal;
    return renewal == null || renewal.maxPerMinute == null ? RenewalPolicy.DEFAULT_MAX_PER_MINUTE
        : renewal.maxPerMinute;
  }

  /** The renewal windows as applied (none for a node standing alone). */
  RenewalPolicy renewal(java.time.Instant now) {
    return array == null ? RenewalPolicy.NONE : RenewalPolicy.of(array.getSpec(), settings, now);
  }

  static IssuingView ofArray(ArrayNode node, Context<ArrayNode> context) {
    return of(node.getMetadata().getNamespace(), node.getSpec().array, Lookup.cached(context));
  }

  /** The array's view read through {@code lookup} (the CSR signer's reads from the API). */
  static IssuingView of(String namespace, String arrayName, Lookup lookup) {
    return of(namespace, arrayName, lookup, KeystorePasswords.Source.live(lookup.client()));
  }

  /**
   * The array's view with the keystore passwords read from {@code passwords}: a node reads them
   * from its informer cache (a GET in every reconcile of every member was bug 9).
   */
  static IssuingView of(String namespace, String arrayName, Lookup lookup, KeystorePasswords.Source passwords) {
    Optional<ClusterArray> array = lookup.get(ClusterArray.class, namespace, arrayName);
    if (array.isEmpty()) {
      return waiting("ArrayNotFound", "ClusterArray " + arrayName + " does not exist in namespace " + namespace);
    }
    var status = array.get().getStatus();
    if (status == null || status.ca == null || status.ca.generation == null) {
      return waiting("WaitingForCA", "array " + arrayName + " has no CA yet (see its Degraded condition)");
    }
    Optional<Secret> caSecret = lookup.get(Secret.class, namespace,
        Names.caGenerationSecret(arrayName, status.ca.generation));
    Optional<ConfigMap> trust = lookup.get(ConfigMap.class, namespace, Names.trustConfigMap(arrayName));
    if (caSecret.isEmpty() || trust.isEmpty() || TrustConfigMaps.bundle(trust.get()) == null) {
      return waiting("WaitingForCA", "the CA of array " + arrayName + " is not published yet");
    }
    long newest = status.trustedCAs == null ? status.ca.generation
        : status.trustedCAs.stream().mapToLong(t -> t.generation).max().orElse(status.ca.generation);
    return new IssuingView(arrayName, array.get(), ArraySettings.of(array.get().getSpec()),
        CaSecrets.read(caSecret.get()), status.ca.generation, TrustConfigMaps.bundle(trust.get()), newest,
        io.arraypki.operator.k8s.Revocations.entries(TrustConfigMaps.ledger(trust)),
        KeystorePasswords.read(passwords, namespace, array.get().getSpec().keystores), null, null);
  }

  /** A node outside any array is the primary of an array of one, with its own CA. */
  static IssuingView standalone(CertificateAuthority ownCa) {
    return new IssuingView("", null, ArraySettings.defaults(), ownCa, 1,
        Pem.encode(ownCa.root()), 1, List.of(), KeystorePasswords.NONE, null, null);
  }

  private static IssuingView waiting(String reason, String message) {
    return new IssuingView(null, null, null, null, 0, null, 0, List.of(), KeystorePasswords.NONE, reason, message);
  }

  /** What the array itself issues from (its service certificate): the array's own view. */
  static IssuingView ofArrayItself(ClusterArray array, CertificateAuthority signing, long generation, String bundlePem,
      long trustGeneration, List<Revocation> revoked, KeystorePasswords keystores) {
    return new IssuingView(array.getMetadata().getName(), array, ArraySettings.of(array.getSpec()), signing,
        generation, bundlePem, trustGeneration, revoked, keystores, null, null);
  }

  boolean standalone() {
    return array == null;
  }

  Map<String, String> templateLabels() {
    var t = array == null ? null : array.getSpec().secretTemplate;
    return t == null || t.labels == null ? Map.of() : t.labels;
  }

  Map<String, String> templateAnnotations() {
    var t = array == null ? null : array.getSpec().secretTemplate;
    return t == null || t.annotations == null ? Map.of() : t.annotations;
  }

  String arrayRenewalToken() {
    return array == null ? null : EventSources.annotation(array, Labels.RENEW_CERTIFICATES);
  }

  /**
   * A candidate's client certificate: CN and DNS SAN the peer DNS name, client auth only, and a
   * URI SAN naming the node ({@code arraypki://<namespace>/<array>/<node>}).
   */
  LeafProfile clientProfile(ArrayNode node) {
    String uri = "arraypki://" + node.getMetadata().getNamespace() + "/" + arrayName + "/"
        + node.getMetadata().getName();
    return new LeafProfile(node.getSpec().peerDNSName, List.of(node.getSpec().peerDNSName), List.of(),
        List.of(uri), java.util.Set.of(io.arraypki.operator.pki.Usage.CLIENT_AUTH), settings.clientKey(),
        settings.client().duration(), settings.client().renewBefore());
  }

  LeafProfile peerProfile(ArrayNode node) {
    ArrayNodeSpec spec = node.getSpec();
    List<String> dns = new ArrayList<>();
    dns.add(spec.peerDNSName);
    if (spec.dnsNames != null) {
      spec.dnsNames.stream().filter(d -> !dns.contains(d)).forEach(dns::add);
    }
    return new LeafProfile(spec.peerDNSName, dns, spec.ipAddresses == null ? List.of() : spec.ipAddresses,
        List.of(), settings.peerUsages(), settings.peerKey(), settings.peer().duration(),
        settings.peer().renewBefore());
  }
}
