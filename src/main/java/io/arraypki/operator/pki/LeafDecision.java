package io.arraypki.operator.pki;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Whether a member's current certificate can stay, or must be issued anew and why. A pure
 * function of the certificate, the profile, the CA that should have signed it, the renewal
 * windows and the time.
 *
 * @param renewalTime when a kept certificate renews (inside a renewal window when there are any)
 * @param outsideWindow for a time-based renewal that no window could take (none opened before
 *     the last safe moment), why; null otherwise
 */
public record LeafDecision(Action action, String reason, Instant renewalTime, String outsideWindow) {

  public LeafDecision(Action action, String reason, Instant renewalTime) {
    this(action, reason, renewalTime, null);
  }

  /** KEEP: nothing to do. ISSUE: a new certificate is needed (the reason says why). */
  public enum Action {
    KEEP,
    ISSUE
  }

  public static final String NOT_ISSUED = "NotIssued";
  public static final String SIGNED_BY_ANOTHER_CA = "SignedByAnotherCA";
  public static final String NAMES_CHANGED = "NamesChanged";
  public static final String USAGES_CHANGED = "UsagesChanged";
  public static final String KEY_CHANGED = "KeyPolicyChanged";
  public static final String DURATION_CHANGED = "DurationChanged";
  public static final String RENEWAL_DUE = "RenewalDue";
  public static final String REQUESTED = "Requested";
  public static final String REVOKED = "Revoked";
  public static final String SIGNED_REQUEST = "SignedRequest";

  /** A node's own certificate request was signed (the CSR signer decided; its policy is in CsrPolicy). */
  public static LeafDecision signedRequest() {
    return issue(SIGNED_REQUEST);
  }

  /** The current certificate is on its CRL: peers refuse it, so it is replaced whatever else holds. */
  public static LeafDecision revoked() {
    return issue(REVOKED);
  }

  public boolean issue() {
    return action == Action.ISSUE;
  }

  /**
   * Decides for {@code current} (null if there is none or it cannot be read).
   *
   * @param checkKeySpec false for keys the operator does not hold (CSR signing)
   * @param renewRequested a renew annotation with a value not yet handled
   */
  public static LeafDecision decide(
      X509Certificate current,
      LeafProfile profile,
      X509Certificate signingCa,
      Instant now,
      boolean checkKeySpec,
      boolean renewRequested) {
    return decide(current, profile, signingCa, now, checkKeySpec, renewRequested, RenewalWindows.none(), 0);
  }

  /**
   * The same, with renewal windows: only the time-based renewal waits for a window (spread across
   * it by {@code spread}, see {@link RenewalTime}); a change of CA, names, usages, key or lifetime
   * and a request are never deferred.
   */
  public static LeafDecision decide(
      X509Certificate current,
      LeafProfile profile,
      X509Certificate signingCa,
      Instant now,
      boolean checkKeySpec,
      boolean renewRequested,
      RenewalWindows windows,
      double spread) {
    if (current == null) {
      return issue(NOT_ISSUED);
    }
    RenewalTime renewal = scheduled(current, profile.renewBefore(), windows, spread, now);
    if (!signedBy(current, signingCa)) {
      return issue(SIGNED_BY_ANOTHER_CA);
    }
    if (!namesMatch(current, profile)) {
      return issue(NAMES_CHANGED);
    }
    if (!usagesMatch(current, profile.usages())) {
      return issue(USAGES_CHANGED);
    }
    if (checkKeySpec && !KeyPairs.specOf(current.getPublicKey()).equals(profile.keySpec())) {
      return issue(KEY_CHANGED);
    }
    if (!lifetimeMatches(current, profile.duration(), signingCa)) {
      return issue(DURATION_CHANGED);
    }
    if (renewRequested) {
      return issue(REQUESTED);
    }
    if (!now.isBefore(renewal.at())) {
      return new LeafDecision(Action.ISSUE, RENEWAL_DUE, null,
          renewal.kind() == RenewalTime.Kind.LAST_SAFE_MOMENT ? renewal.message() : null);
    }
    return new LeafDecision(Action.KEEP, "", renewal.at());
  }

  /**
   * When {@code certificate} renews: due at notAfter - renewBefore, then moved into a renewal
   * window, never past its last safe moment (a third of renewBefore before its end).
   */
  public static RenewalTime scheduled(X509Certificate certificate, Duration renewBefore, RenewalWindows windows,
      double spread) {
    Instant notBefore = certificate.getNotBefore().toInstant();
    Instant notAfter = certificate.getNotAfter().toInstant();
    return RenewalTime.decide(renewalTime(notBefore, notAfter, renewBefore),
        RenewalTime.lastSafe(notBefore, notAfter, renewBefore), spread, windows);
  }

  /** The same, as seen at {@code now}: a window that passed unused moves it to the next ({@link RenewalTime#asOf}). */
  public static RenewalTime scheduled(X509Certificate certificate, Duration renewBefore, RenewalWindows windows,
      double spread, Instant now) {
    Instant notBefore = certificate.getNotBefore().toInstant();
    Instant notAfter = certificate.getNotAfter().toInstant();
    return RenewalTime.asOf(now, renewalTime(notBefore, notAfter, renewBefore),
        RenewalTime.lastSafe(notBefore, notAfter, renewBefore), spread, windows);
  }

  /**
   * notAfter - renewBefore; when renewBefore is not shorter than the certificate's actual
   * lifetime (it was cut to its CA's end), two thirds into the lifetime instead.
   */
  public static Instant renewalTime(X509Certificate certificate, Duration renewBefore) {
    return renewalTime(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant(), renewBefore);
  }

  /** The same, from a status's times: renewBefore, or a third of the lifetime when that is shorter. */
  public static Instant renewalTime(Instant notBefore, Instant notAfter, Duration renewBefore) {
    Duration lifetime = Duration.between(notBefore, notAfter);
    Duration before = renewBefore.compareTo(lifetime) < 0 ? renewBefore : lifetime.dividedBy(3);
    return notAfter.minus(before);
  }

  private static LeafDecision issue(String reason) {
    return new LeafDecision(Action.ISSUE, reason, null);
  }

  static boolean signedBy(X509Certificate certificate, X509Certificate ca) {
    if (!certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      return false;
    }
    return Signatures.verifies(certificate, ca.getPublicKey());
  }

  private static boolean lifetimeMatches(X509Certificate cert, Duration duration, X509Certificate ca) {
    Instant notBefore = cert.getNotBefore().toInstant();
    Instant wanted = notBefore.plus(duration);
    Instant caEnd = ca.getNotAfter().toInstant();
    Instant expected = wanted.isAfter(caEnd) ? caEnd : wanted;
    return Duration.between(expected, cert.getNotAfter().toInstant()).abs().getSeconds() <= 1;
  }

  private static boolean namesMatch(X509Certificate cert, LeafProfile profile) {
    String wantedCommonName = LeafRequest.fitsCommonName(profile.commonName()) ? profile.commonName() : "";
    if (!wantedCommonName.equals(commonName(cert))) {
      return false;
    }
    Set<String> dns = new HashSet<>();
    Set<String> ips = new HashSet<>();
    Set<String> uris = new HashSet<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          String value = String.valueOf(san.get(1));
          switch (type) {
            case 2 -> dns.add(value.toLowerCase(Locale.ROOT));
            case 7 -> ips.add(canonicalIp(value));
            case 6 -> uris.add(value);
            default -> {}
          }
        }
      }
    } catch (CertificateParsingException e) {
      return false;
    }
    Set<String> wantedIps = new HashSet<>();
    profile.ipAddresses().forEach(ip -> wantedIps.add(canonicalIp(ip)));
    return dns.equals(new HashSet<>(profile.dnsNames()))
        && ips.equals(wantedIps)
        && uris.equals(new HashSet<>(profile.uris()));
  }

  /** The name a leaf was issued for: its CN, or its first DNS SAN when the name was too long for a CN. */
  public static String issuedFor(X509Certificate cert) {
    String cn = commonName(cert);
    if (!cn.isEmpty()) {
      return cn;
    }
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      return sans == null ? "" : sans.stream().filter(san -> Integer.valueOf(2).equals(san.get(0)))
          .map(san -> String.valueOf(san.get(1))).findFirst().orElse("");
    } catch (CertificateParsingException e) {
      return "";
    }
  }

  public static String commonName(X509Certificate cert) {
    X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    RDN[] cns = name.getRDNs(BCStyle.CN);
    return cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue());
  }

  private static String canonicalIp(String ip) {
    if (!ip.matches("[0-9A-Fa-f:.]+")) {
      return ip; // not a literal: never let InetAddress resolve a name
    }
    try {
      return InetAddress.getByName(ip).getHostAddress();
    } catch (UnknownHostException e) {
      return ip;
    }
  }

  private static boolean usagesMatch(X509Certificate cert, Set<Usage> usages) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      Set<Usage> actual = new HashSet<>();
      if (eku != null) {
        if (eku.contains("1.3.6.1.5.5.7.3.1")) {
          actual.add(Usage.SERVER_AUTH);
        }
        if (eku.contains("1.3.6.1.5.5.7.3.2")) {
          actual.add(Usage.CLIENT_AUTH);
        }
      }
      return actual.equals(usages);
    } catch (CertificateParsingException e) {
      return false;
    }
  }
}
