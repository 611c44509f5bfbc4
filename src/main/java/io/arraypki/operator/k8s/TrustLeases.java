package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The Lease {@code <node>-trust} on which a member confirms what it has loaded (DESIGN.md
 * section 6). The operator makes it (metadata only: labels, the Node as owner); the member, and
 * only it (its ServiceAccount's Role names this Lease), writes the confirmation in three
 * annotations with one merge patch, as {@code io.arraypki.operator.trust.TrustConfirmations}
 * does: the SHA-256 digests of the CAs it trusts, the serials of the certificates it serves, and
 * the time.
 */
public final class TrustLeases {
  // The annotations' names are the member library's, which writes them: one contract, one spelling.
  /** {@code sha256:<hex>} of each CA in the loaded bundle, sorted, comma-separated. */
  public static final String TRUSTED_CAS = io.arraypki.operator.trust.Confirmation.TRUSTED_CAS;
  /** Lower-case hex serial of each certificate the member serves, sorted, comma-separated. */
  public static final String LEAF_SERIALS = io.arraypki.operator.trust.Confirmation.LEAF_SERIALS;
  /** When the member loaded that (RFC 3339). */
  public static final String CONFIRMED_AT = io.arraypki.operator.trust.Confirmation.CONFIRMED_AT;

  private TrustLeases() {}

  /** What a member confirmed: the CAs it trusts (digests) and the leaves it serves. */
  public record Confirmation(Set<String> trustedCas, Set<BigInteger> leafSerials, Instant at, String holder) {
    public boolean trusts(String caDigest) {
      return trustedCas.contains(caDigest);
    }

    public boolean serves(BigInteger serial) {
      return leafSerials.contains(serial);
    }
  }

  /** The Lease as the operator keeps it: no spec of its own (the member's), owned by the Node. */
  public static Lease desired(HasMetadata node, String array) {
    String name = node.getMetadata().getName();
    return new LeaseBuilder()
        .withMetadata(ManagedObjects.metadata(Names.trustLease(name), node, array, name, Labels.COMPONENT_TRUST_LEASE,
            Map.of(), Map.of()))
        .build();
  }

  /** The member's confirmation on this Lease; empty when it has never confirmed (or wrote nonsense). */
  public static Optional<Confirmation> confirmation(Lease lease) {
    Map<String, String> annotations = lease.getMetadata().getAnnotations();
    if (annotations == null || !annotations.containsKey(TRUSTED_CAS)) {
      return Optional.empty();
    }
    Set<String> cas = split(annotations.get(TRUSTED_CAS)).stream()
        .map(s -> s.toLowerCase(java.util.Locale.ROOT)).collect(Collectors.toCollection(TreeSet::new));
    Set<BigInteger> serials = new TreeSet<>();
    for (String serial : split(annotations.get(LEAF_SERIALS))) {
      try {
        serials.add(new BigInteger(serial, 16));
      } catch (NumberFormatException e) {
        // a serial that does not parse names no certificate of ours: it confirms nothing
      }
    }
    Instant at = null;
    try {
      String value = annotations.get(CONFIRMED_AT);
      at = value == null ? null : Instant.parse(value);
    } catch (DateTimeParseException e) {
      // the time is for people; the fingerprints and serials decide
    }
    String holder = lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    return Optional.of(new Confirmation(Set.copyOf(cas), Set.copyOf(serials), at, holder));
  }

  private static Set<String> split(String value) {
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
