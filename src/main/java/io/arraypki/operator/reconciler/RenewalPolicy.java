package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.RenewalWindowSpec;
import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.pki.RenewalTime;
import io.arraypki.operator.pki.RenewalWindows;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An array's renewal windows as the operator applies them (DESIGN.md section 6): parsed, and
 * checked against every kind of certificate the array issues. Windows that do not parse, or that
 * cannot be satisfied for the array's durations (cert-manager's bug 9146: a certificate that can
 * never renew inside one), are refused: renewals then happen when due, as without windows, and
 * the array's RenewalWindows condition names the fix. Nothing already issued is touched by a
 * refusal.
 *
 * @param windows the windows applied (none when refused or absent)
 * @param maxPerMinute at most this many time-based renewals of the array start in a minute
 */
record RenewalPolicy(RenewalWindows windows, int maxPerMinute, Verdict verdict, String message) {

  /** What became of the spec's windows. */
  enum Verdict {
    NoWindows,
    Accepted,
    Invalid,
    Unsatisfiable
  }

  static final int DEFAULT_MAX_PER_MINUTE = 60;
  static final RenewalPolicy NONE = new RenewalPolicy(RenewalWindows.none(), DEFAULT_MAX_PER_MINUTE,
      Verdict.NoWindows, "no renewal windows: certificates renew when due");

  /**
   * Checks cost a walk of the windows over a year or more: done once per spec and durations, and
   * again after a day (the horizon moves), for every member reconcile to share.
   */
  private static final Map<String, Cached> CACHE = new ConcurrentHashMap<>();
  private static final Duration RECHECK = Duration.ofDays(1);
  private static final int CACHE_LIMIT = 1024;

  private record Cached(RenewalPolicy policy, Instant checkedAt) {}

  static RenewalPolicy of(ClusterArraySpec spec, ArraySettings settings, Instant now) {
    var renewal = spec == null ? null : spec.renewal;
    int perMinute = renewal == null || renewal.maxPerMinute == null ? DEFAULT_MAX_PER_MINUTE : renewal.maxPerMinute;
    if (renewal == null || renewal.windows == null || renewal.windows.isEmpty()) {
      return perMinute == DEFAULT_MAX_PER_MINUTE ? NONE
          : new RenewalPolicy(RenewalWindows.none(), perMinute, Verdict.NoWindows, NONE.message());
    }
    List<RenewalTime.CertificateKind> kinds = kinds(spec, settings);
    String key = renewal.windows.stream().map(w -> w.cron + "|" + w.timezone + "|" + w.windowDuration).toList()
        + "/" + perMinute + "/" + kinds;
    Cached cached = CACHE.get(key);
    if (cached != null && now.isBefore(cached.checkedAt().plus(RECHECK)) && !now.isBefore(cached.checkedAt())) {
      return cached.policy();
    }
    RenewalPolicy policy = check(renewal.windows, perMinute, kinds, now);
    if (CACHE.size() >= CACHE_LIMIT) {
      CACHE.clear();
    }
    CACHE.put(key, new Cached(policy, now));
    return policy;
  }

  private static RenewalPolicy check(List<RenewalWindowSpec> specs, int perMinute,
      List<RenewalTime.CertificateKind> kinds, Instant now) {
    RenewalWindows windows;
    try {
      windows = RenewalWindows.parse(specs.stream()
          .map(w -> new RenewalWindows.Spec(w.cron, w.timezone, w.windowDuration)).toList());
    } catch (PkiException e) {
      return new RenewalPolicy(RenewalWindows.none(), perMinute, Verdict.Invalid,
          "renewal windows refused, certificates renew when due: " + e.getMessage());
    }
    Optional<String> unsatisfiable = RenewalTime.unsatisfiable(windows, now, kinds);
    if (unsatisfiable.isPresent()) {
      return new RenewalPolicy(RenewalWindows.none(), perMinute, Verdict.Unsatisfiable,
          "renewal windows refused, certificates renew when due: " + unsatisfiable.get());
    }
    return new RenewalPolicy(windows, perMinute, Verdict.Accepted, specs.size() + " renewal window(s): "
        + "time-based renewals happen inside them, spread across each");
  }

  /** Every kind of certificate the array renews by time, with its lifetime. */
  private static List<RenewalTime.CertificateKind> kinds(ClusterArraySpec spec, ArraySettings settings) {
    List<RenewalTime.CertificateKind> kinds = new ArrayList<>();
    kinds.add(new RenewalTime.CertificateKind("peerCertificates", settings.peer().duration(),
        settings.peer().renewBefore()));
    if (settings.clientCertificates()) {
      kinds.add(new RenewalTime.CertificateKind("clientCertificates", settings.client().duration(),
          settings.client().renewBefore()));
    }
    if (spec.ca == null || spec.ca.issuerRef == null) {
      kinds.add(new RenewalTime.CertificateKind("ca", settings.caDuration(), settings.caRenewBefore()));
    }
    if (spec.serviceCertificate != null) {
      ArraySettings.Validity service = settings.service(spec.serviceCertificate);
      kinds.add(new RenewalTime.CertificateKind("serviceCertificate", service.duration(), service.renewBefore()));
    }
    return kinds;
  }

  boolean refused() {
    return verdict == Verdict.Invalid || verdict == Verdict.Unsatisfiable;
  }
}
