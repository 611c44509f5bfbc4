package io.arraypki.operator.trust;

import io.arraypki.operator.pki.Fingerprints;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a member reports on its trust Lease: the digests of the CAs it trusts (its loaded ca.crt)
 * and the serials of the leaves it serves (one per identity). Both lists are sorted and free of
 * duplicates, so that two confirmations of the same material are equal whatever the order of the
 * files, and a reporter can tell "nothing changed" by {@link #equals}.
 *
 * @param trustedCas {@code sha256:<64 lower-case hex>} of each CA ({@link Fingerprints#digest})
 * @param leafSerials each leaf's serial as {@code BigInteger.toString(16)}
 */
public record Confirmation(List<String> trustedCas, List<String> leafSerials) {
  /** Lease annotation: the trusted CAs' digests, comma-joined. */
  public static final String TRUSTED_CAS = "arraypki.io/trusted-cas";
  /** Lease annotation: the served leaves' serials (hex), comma-joined. */
  public static final String LEAF_SERIALS = "arraypki.io/leaf-serials";
  /** Lease annotation: when the member wrote the confirmation (RFC 3339). */
  public static final String CONFIRMED_AT = "arraypki.io/confirmed-at";

  public Confirmation {
    trustedCas = List.copyOf(new TreeSet<>(trustedCas));
    leafSerials = List.copyOf(new TreeSet<>(leafSerials));
  }

  /**
   * The confirmation of loaded material: a pure function of the certificates.
   *
   * @param cas the certificates of the loaded ca.crt bundle
   * @param leaves the leaf (first certificate of tls.crt) of each identity the member serves
   */
  public static Confirmation of(Collection<X509Certificate> cas, Collection<X509Certificate> leaves) {
    return new Confirmation(cas.stream().map(Fingerprints::digest).toList(),
        leaves.stream().map(leaf -> leaf.getSerialNumber().toString(16)).toList());
  }

  /** The two annotations that carry it (confirmed-at is the writer's). */
  public Map<String, String> annotations() {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(TRUSTED_CAS, String.join(",", trustedCas));
    annotations.put(LEAF_SERIALS, String.join(",", leafSerials));
    return annotations;
  }

  /**
   * What a Lease's annotations confirm, or null when they hold no confirmation (a Lease the
   * operator just created). An empty annotation is an empty list.
   */
  public static Confirmation fromAnnotations(Map<String, String> annotations) {
    if (annotations == null || !annotations.containsKey(TRUSTED_CAS) || !annotations.containsKey(LEAF_SERIALS)) {
      return null;
    }
    return new Confirmation(split(annotations.get(TRUSTED_CAS)), split(annotations.get(LEAF_SERIALS)));
  }

  private static List<String> split(String joined) {
    if (joined == null || joined.isBlank()) {
      return List.of();
    }
    return java.util.Arrays.stream(joined.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** For logs and /stats: the digests shortened, the serials as they are. */
  public String describe() {
    return "trusting " + trustedCas.stream().map(d -> d.length() > 19 ? d.substring(0, 19) + "..." : d).toList()
        + ", serving leaves " + leafSerials;
  }
}
