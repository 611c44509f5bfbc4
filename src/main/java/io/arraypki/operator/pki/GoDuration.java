package io.arraypki.operator.pki;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go duration strings ("2160h", "1h30m", "45s", "0"), as cert-manager and Kubernetes use them. */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)");
  private static final int MAX_CHARS = 64;

  private GoDuration() {}

  public static Duration parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new PkiException("a duration is empty");
    }
    if (text.length() > MAX_CHARS) {
      throw new PkiException("a duration is longer than " + MAX_CHARS + " characters");
    }
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(text);
    BigDecimal nanos = BigDecimal.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPer(m.group(2)))));
      end = m.end();
    }
    if (end != text.length() || end == 0) {
      throw new PkiException("'" + text + "' is not a duration such as 2160h, 45m or 1h30m");
    }
    try {
      return Duration.ofNanos(nanos.longValueExact());
    } catch (ArithmeticException e) {
      throw new PkiException("'" + text + "' is too long a duration");
    }
  }

  /** Formats as Go does for whole units: 2160h, 45m, 1h30m, 30s, 0s. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder s = new StringBuilder();
    long hours = d.toHours();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    if (hours > 0) {
      s.append(hours).append('h');
    }
    if (minutes > 0) {
      s.append(minutes).append('m');
    }
    if (seconds > 0 || s.isEmpty()) {
      s.append(seconds).append('s');
    }
    return s.toString();
  }

  private static long nanosPer(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      default -> 3_600_000_000_000L;
    };
  }
}
