package io.arraypki.operator.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Whether the array signs a client's certificate request (a cert-manager CertificateRequest
 * naming it), and how: the names within the array's lists, no CA rights, only the extended
 * usages the array allows (client auth when none is asked for), a key within the members' key
 * policy, a lifetime no longer than the array's maximum. Pure.
 */
public final class ClientRequestPolicy {
  private ClientRequestPolicy() {}

  /** What the array allows (spec.certificateRequests, defaults applied). */
  public record Policy(List<String> dnsNames, List<String> ipRanges, List<String> uriPrefixes, Set<Usage> usages,
      Duration maxDuration) {
    public Policy {
      dnsNames = List.copyOf(dnsNames);
      ipRanges = List.copyOf(ipRanges);
      uriPrefixes = List.copyOf(uriPrefixes);
      usages = Set.copyOf(usages);
    }
  }

  /** Why a request is refused; the name is the CertificateRequest's message prefix and the Event's reason. */
  public enum Reason {
    BadRequest,
    BadSignature,
    CARequested,
    NamesNotAllowed,
    UsagesNotAllowed,
    WeakKey
  }

  /** The outcome. */
  public sealed interface Decision {
    /** Sign for these names, with these extended usages, for this long. */
    record Sign(String commonName, List<String> dnsNames, List<String> ipAddresses, List<String> uris,
        Set<Usage> usages, Duration duration) implements Decision {}

    record Refuse(Reason reason, String message) implements Decision {}
  }

  /** cert-manager's key usage names that are key usages (not extended): the certificate gets what its key suits. */
  private static final Set<String> KEY_USAGES = Set.of("signing", "digital signature", "key encipherment",
      "key agreement", "data encipherment", "content commitment");

  /**
   * @param request the parsed CSR
   * @param isCa the CertificateRequest's spec.isCA
   * @param usages the CertificateRequest's spec.usages (cert-manager's names)
   * @param duration the CertificateRequest's spec.duration, if any
   * @param defaultDuration the lifetime when none is asked for (the array's client certificates')
   */
  public static Decision decide(CsrPolicy.Request request, boolean isCa, List<String> usages,
      Optional<Duration> duration, Duration defaultDuration, Policy policy) {
    if (!request.signatureValid()) {
      return new Decision.Refuse(Reason.BadSignature, "the request's signature does not verify with its own key");
    }
    if (isCa || request.asksForCa() || usages.contains("cert sign") || usages.contains("crl sign")) {
      return new Decision.Refuse(Reason.CARequested, "the array signs no CA: isCA, cert sign and crl sign are refused");
    }
    Set<Usage> extended = EnumSet.noneOf(Usage.class);
    for (String usage : usages) {
      String u = usage.toLowerCase(Locale.ROOT);
      if (u.equals("client auth")) {
        extended.add(Usage.CLIENT_AUTH);
      } else if (u.equals("server auth")) {
        extended.add(Usage.SERVER_AUTH);
      } else if (!KEY_USAGES.contains(u)) {
        return new Decision.Refuse(Reason.UsagesNotAllowed, "usage '" + usage + "' is not signed by this array"
            + " (it signs " + names(policy.usages()) + ")");
      }
    }
    if (extended.isEmpty()) {
      extended.add(policy.usages().contains(Usage.CLIENT_AUTH) ? Usage.CLIENT_AUTH : Usage.SERVER_AUTH);
    }
    for (Usage usage : extended) {
      if (!policy.usages().contains(usage)) {
        return new Decision.Refuse(Reason.UsagesNotAllowed, "usage '" + name(usage) + "' is not allowed by"
            + " spec.certificateRequests.usages " + names(policy.usages()));
      }
    }
    if (request.dnsNames().isEmpty() && request.ipAddresses().isEmpty() && request.uris().isEmpty()
        && request.commonName().isEmpty()) {
      return new Decision.Refuse(Reason.NamesNotAllowed, "the request names nobody: no common name and no SANs");
    }
    if (!request.commonName().isEmpty() && !dnsAllowed(request.commonName(), policy.dnsNames())) {
      return new Decision.Refuse(Reason.NamesNotAllowed, "common name " + request.commonName()
          + " is not allowed by spec.certificateRequests.dnsNames " + policy.dnsNames());
    }
    for (String dns : request.dnsNames()) {
      if (dns.startsWith("unsupported-name:")) {
        return new Decision.Refuse(Reason.NamesNotAllowed, "only DNS, IP and URI names are signed (email and other"
            + " names are refused)");
      }
      if (!dnsAllowed(dns, policy.dnsNames())) {
        return new Decision.Refuse(Reason.NamesNotAllowed, "DNS name " + dns
            + " is not allowed by spec.certificateRequests.dnsNames " + policy.dnsNames());
      }
    }
    for (String ip : request.ipAddresses()) {
      if (policy.ipRanges().stream().noneMatch(range -> inRange(ip, range))) {
        return new Decision.Refuse(Reason.NamesNotAllowed, "IP address " + ip
            + " is not in spec.certificateRequests.ipRanges " + policy.ipRanges());
      }
    }
    for (String uri : request.uris()) {
      if (policy.uriPrefixes().stream().noneMatch(uri::startsWith)) {
        return new Decision.Refuse(Reason.NamesNotAllowed, "URI " + uri
            + " does not start with one of spec.certificateRequests.uriPrefixes " + policy.uriPrefixes());
      }
    }
    Optional<String> weak = CsrPolicy.weakKey(request);
    if (weak.isPresent()) {
      return new Decision.Refuse(Reason.WeakKey, weak.get().substring("WeakKey: ".length()));
    }
    Duration asked = duration.filter(d -> !d.isNegative() && !d.isZero()).orElse(defaultDuration);
    Duration lifetime = asked.compareTo(policy.maxDuration()) > 0 ? policy.maxDuration() : asked;
    return new Decision.Sign(request.commonName(), request.dnsNames(), request.ipAddresses(), request.uris(),
        Set.copyOf(extended), lifetime);
  }

  /**
   * A name is allowed when a pattern is that name (case-insensitively), or the pattern is
   * {@code *.suffix} and the name is one label under the suffix (the literal wildcard name
   * {@code *.suffix} included).
   */
  static boolean dnsAllowed(String name, List<String> patterns) {
    String n = name.toLowerCase(Locale.ROOT);
    for (String pattern : patterns) {
      String p = pattern.toLowerCase(Locale.ROOT);
      if (p.equals(n)) {
        return true;
      }
      if (p.startsWith("*.")) {
        String suffix = p.substring(1);
        if (n.endsWith(suffix)) {
          String label = n.substring(0, n.length() - suffix.length());
          if (!label.isEmpty() && !label.contains(".")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Whether {@code ip} is in {@code cidr} (IPv4 in IPv4 ranges, IPv6 in IPv6 ranges). */
  static boolean inRange(String ip, String cidr) {
    try {
      int slash = cidr.indexOf('/');
      byte[] network = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
      int bits = Integer.parseInt(cidr.substring(slash + 1));
      byte[] address = InetAddress.getByName(CsrPolicy.canonical(ip)).getAddress();
      if (network.length != address.length || bits < 0 || bits > network.length * 8) {
        return false;
      }
      BigInteger mask = BigInteger.ONE.shiftLeft(network.length * 8).subtract(BigInteger.ONE)
          .shiftRight(bits).not();
      return new BigInteger(1, network).and(mask).equals(new BigInteger(1, address).and(mask));
    } catch (UnknownHostException | RuntimeException e) {
      return false;
    }
  }

  static String name(Usage usage) {
    return usage == Usage.CLIENT_AUTH ? "client auth" : "server auth";
  }

  private static String names(Set<Usage> usages) {
    return usages.stream().map(ClientRequestPolicy::name).sorted().toList().toString();
  }
}
