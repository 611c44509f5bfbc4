package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.CaSpec;
import io.arraypki.operator.api.CertificateUsage;
import io.arraypki.operator.api.ClientCertificatesSpec;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.PeerCertificatesSpec;
import io.arraypki.operator.api.PrivateKeySpec;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.api.X509Subject;
import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.GoDuration;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.Usage;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An array's spec with every default resolved, in pki/ terms. The API server applies the static
 * defaults; this adds the ones that depend on other fields (renewBefore = duration / 3) and
 * stands in for defaults on objects written before a default existed.
 */
public record ArraySettings(
    Duration caDuration,
    Duration caRenewBefore,
    Duration caPrepareBefore,
    KeySpec caKey,
    CaSubject caSubjectTemplate,
    Validity peer,
    KeySpec peerKey,
    Set<Usage> peerUsages,
    boolean clientCertificates,
    Validity client,
    KeySpec clientKey,
    int poolSize,
    boolean autoPromote,
    boolean sshKeys,
    Duration trustPropagationDelay,
    Duration overlap,
    Duration confirmationTimeout) {

  /** A certificate lifetime and how long before its end it is renewed. */
  public record Validity(Duration duration, Duration renewBefore) {}

  /** The settings of an array whose spec says nothing: a standalone node's array of one. */
  public static ArraySettings defaults() {
    return of(new ClusterArraySpec());
  }

  public static ArraySettings of(ClusterArraySpec spec) {
    CaSpec ca = Optional.ofNullable(spec.ca).orElseGet(CaSpec::new);
    PeerCertificatesSpec peer =
        Optional.ofNullable(spec.peerCertificates).orElseGet(PeerCertificatesSpec::new);
    ClientCertificatesSpec client =
        Optional.ofNullable(spec.clientCertificates).orElseGet(ClientCertificatesSpec::new);
    RotationSpec rotation = Optional.ofNullable(spec.rotation).orElseGet(RotationSpec::new);
    KeySpec peerKey = key(peer.privateKey, KeySpec.ECDSA_P256);
    Duration caDuration = duration(ca.duration, "87600h");
    return new ArraySettings(
        caDuration,
        duration(ca.renewBefore, "720h"),
        // SPIRE publishes its next CA a third of a lifetime ahead; a sixth keeps most of the
        // next CA's life for signing and is still months ahead of a yearly window
        ca.prepareBefore == null ? caDuration.dividedBy(6) : GoDuration.parse(ca.prepareBefore),
        key(ca.privateKey, KeySpec.ECDSA_P256),
        subject(ca.subject),
        validity(peer.duration, peer.renewBefore),
        peerKey,
        usages(peer.usages),
        client.enabled == null || client.enabled,
        validity(client.duration, client.renewBefore),
        key(client.privateKey, peerKey),
        spec.candidates == null || spec.candidates.poolSize == null ? 3 : spec.candidates.poolSize,
        spec.candidates == null || spec.candidates.autoPromote == null || spec.candidates.autoPromote,
        spec.sshKeys != null && Boolean.TRUE.equals(spec.sshKeys.enabled),
        duration(rotation.trustPropagationDelay, "2m"),
        duration(rotation.overlap, "1h"),
        duration(rotation.confirmationTimeout, "3m"));
  }

  public CaSubject caSubject(String array, long generation) {
    return new CaSubject(
        CaSubject.commonNameFor(array, generation),
        caSubjectTemplate.organizations(),
        caSubjectTemplate.organizationalUnits(),
        caSubjectTemplate.countries(),
        caSubjectTemplate.localities(),
        caSubjectTemplate.provinces());
  }

  /** The service certificate's lifetime: its own when the spec gives one, else a member's. */
  public Validity service(io.arraypki.operator.api.ServiceCertificateSpec spec) {
    return spec.duration == null ? peer() : validity(spec.duration, spec.renewBefore);
  }

  static Validity validity(String duration, String renewBefore) {
    Duration d = duration(duration, "2160h");
    Duration r = renewBefore == null ? d.dividedBy(3) : GoDuration.parse(renewBefore);
    return new Validity(d, r);
  }

  private static Duration duration(String text, String fallback) {
    return GoDuration.parse(text == null ? fallback : text);
  }

  private static KeySpec key(PrivateKeySpec spec, KeySpec fallback) {
    if (spec == null || spec.algorithm == null) {
      return fallback;
    }
    return KeySpec.of(spec.algorithm.name(), spec.size);
  }

  private static Set<Usage> usages(List<CertificateUsage> usages) {
    if (usages == null || usages.isEmpty()) {
      return EnumSet.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH);
    }
    Set<Usage> result = EnumSet.noneOf(Usage.class);
    for (CertificateUsage u : usages) {
      result.add(u == CertificateUsage.SERVER_AUTH ? Usage.SERVER_AUTH : Usage.CLIENT_AUTH);
    }
    return result;
  }

  private static CaSubject subject(X509Subject s) {
    if (s == null) {
      return CaSubject.of("");
    }
    return new CaSubject(
        "",
        nonNull(s.organizations),
        nonNull(s.organizationalUnits),
        nonNull(s.countries),
        nonNull(s.localities),
        nonNull(s.provinces));
  }

  private static List<String> nonNull(List<String> list) {
    return list == null ? List.of() : list;
  }
}
