package io.arraypki.operator.k8s;

import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Crls;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The array's public trust material, {@code <array>-trust}: every trusted CA, one CRL per
 * trusted CA, the revocation ledger (and, with the candidate map, candidate-map.json). CRLs are
 * re-signed only when their content changes or half their validity has passed, so a reconcile
 * that changes nothing writes nothing.
 */
public final class TrustConfigMaps {
  public static final String CA_CRT = "ca.crt";
  public static final String CRL_PEM = "crl.pem";
  public static final String REVOCATIONS_JSON = "revocations.json";
  public static final String CANDIDATE_MAP_JSON = "candidate-map.json";
  public static final String AUTHORIZED_KEYS = "authorized_keys";
  public static final Duration CRL_VALIDITY = Duration.ofDays(7);

  static final String CRL_NUMBER = "arraypki.io/crl-number";
  static final String CRL_SOURCE = "arraypki.io/crl-source";
  static final String CRL_NEXT_UPDATE = "arraypki.io/crl-next-update";

  private TrustConfigMaps() {}

  /** The desired ConfigMap and when its CRLs want re-signing. */
  public record Desired(ConfigMap configMap, Instant crlRefreshAt) {}

  /**
   * @param trusted the trusted CAs by generation, oldest first
   * @param extra further keys (candidate-map.json, authorized_keys)
   */
  public static Desired desired(HasMetadata array, Map<Long, CertificateAuthority> trusted,
      List<Revocation> revocations, Map<String, String> extra, Optional<ConfigMap> existing, Instant now) {
    String name = array.getMetadata().getName();
    List<X509Certificate> roots = new ArrayList<>();
    trusted.values().forEach(ca -> {
      if (!roots.contains(ca.root())) {
        roots.add(ca.root());
      }
    });
    String bundle = Pem.encode(roots);
    String ledger = Revocations.format(revocations);
    String source = sha256(bundle + ledger + trusted.keySet());
    Map<String, String> old = existing.map(cm -> cm.getMetadata().getAnnotations()).orElse(Map.of());
    String oldCrl = existing.map(cm -> cm.getData() == null ? null : cm.getData().get(CRL_PEM)).orElse(null);
    Instant oldNext = parseInstant(old.get(CRL_NEXT_UPDATE));
    BigInteger number = parseNumber(old.get(CRL_NUMBER));
    String crl;
    Instant nextUpdate;
    if (oldCrl != null && source.equals(old.get(CRL_SOURCE)) && oldNext != null
        && now.isBefore(oldNext.minus(CRL_VALIDITY.dividedBy(2)))) {
      crl = oldCrl;
      nextUpdate = oldNext;
    } else {
      number = number.add(BigInteger.ONE);
      StringBuilder crls = new StringBuilder();
      for (Map.Entry<Long, CertificateAuthority> ca : trusted.entrySet()) {
        crls.append(Pem.encode(Crls.issue(ca.getValue(), ca.getKey(), revocations, number, now, CRL_VALIDITY)));
      }
      crl = crls.toString();
      nextUpdate = now.plus(CRL_VALIDITY);
    }
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA_CRT, bundle);
    data.put(CRL_PEM, crl);
    data.put(REVOCATIONS_JSON, ledger);
    data.putAll(extra);
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(Labels.TRUST_GENERATION, Long.toString(trusted.keySet().stream().max(Long::compare).orElse(0L)));
    annotations.put(CRL_NUMBER, number.toString());
    annotations.put(CRL_SOURCE, source);
    annotations.put(CRL_NEXT_UPDATE, Conditions.timestamp(nextUpdate));
    ConfigMap configMap = new ConfigMapBuilder()
        .withMetadata(ManagedObjects.metadata(Names.trustConfigMap(name), array, name, null,
            Labels.COMPONENT_TRUST, Map.of(), annotations))
        .withData(data)
        .build();
    return new Desired(configMap, nextUpdate.minus(CRL_VALIDITY.dividedBy(2)));
  }

  public static String bundle(ConfigMap configMap) {
    return data(configMap, CA_CRT);
  }

  /** The published copy of the ledger, as read (absent with the ConfigMap or its key). */
  public static Revocations.Copy ledger(Optional<ConfigMap> configMap) {
    return Revocations.read(configMap.map(cm -> data(cm, REVOCATIONS_JSON)).orElse(null));
  }

  private static String data(ConfigMap configMap, String key) {
    return configMap == null || configMap.getData() == null ? null : configMap.getData().get(key);
  }

  /** When the CRLs this trust ConfigMap holds say their next update is due (as the operator recorded it). */
  public static Optional<Instant> crlNextUpdate(ConfigMap configMap) {
    Map<String, String> annotations = configMap.getMetadata().getAnnotations();
    return Optional.ofNullable(parseInstant(annotations == null ? null : annotations.get(CRL_NEXT_UPDATE)));
  }

  private static Instant parseInstant(String text) {
    try {
      return text == null ? null : Instant.parse(text);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static BigInteger parseNumber(String text) {
    try {
      return text == null ? BigInteger.ZERO : new BigInteger(text);
    } catch (RuntimeException e) {
      return BigInteger.ZERO;
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
