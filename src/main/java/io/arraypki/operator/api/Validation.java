package io.arraypki.operator.api;

/** Patterns and CEL snippets shared by the schema annotations of the API classes. */
public final class Validation {
  private Validation() {}

  /** A DNS label: lower case, 1-63 characters, no leading or trailing hyphen. */
  private static final String LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

  /** A DNS name (RFC 1123 subdomain) without wildcards. */
  public static final String DNS_NAME = "^" + LABEL + "(\\." + LABEL + ")*$";

  /** A DNS name whose whole left-most label may be the wildcard {@code *}. */
  public static final String DNS_NAME_OR_WILDCARD = "^(\\*|" + LABEL + ")(\\." + LABEL + ")*$";

  /** A Kubernetes object name (RFC 1123 subdomain). */
  public static final String OBJECT_NAME = DNS_NAME;

  /** The same, or the empty string. */
  public static final String OBJECT_NAME_OR_EMPTY = "^$|" + DNS_NAME;

  /** A Go duration string, as cert-manager takes them: "2160h", "45m", "1h30m", "0s". */
  public static final String DURATION = "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$";

  /** A SHA-256 fingerprint in any case, with or without colons and the SHA256: prefix. */
  public static final String FINGERPRINT_PIN =
      "^([Ss][Hh][Aa]-?256:)?([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$";

  /** CEL (Kubernetes' IP library): every item is an IPv4 or IPv6 address. */
  public static final String ALL_IPS = "self.all(a, isIP(a))";

  public static final String ALL_IPS_MESSAGE = "every item must be an IPv4 or IPv6 address";

  /** CEL: renewBefore, when set, is shorter than duration. */
  public static final String RENEW_BEFORE_BELOW_DURATION =
      "!has(self.renewBefore) || !has(self.duration)"
          + " || duration(self.renewBefore) < duration(self.duration)";

  public static final String RENEW_BEFORE_BELOW_DURATION_MESSAGE =
      "renewBefore must be shorter than duration";

  /** CEL: a certificate lifetime of at least a minute and at most 100 years. */
  public static final String LIFETIME_RANGE =
      "duration(self) >= duration('1m') && duration(self) <= duration('876000h')";

  public static final String LIFETIME_RANGE_MESSAGE =
      "must be a duration between 1m and 876000h (100 years)";

  /** CEL: a renewBefore of at least ten seconds. */
  public static final String RENEW_BEFORE_RANGE = "duration(self) >= duration('10s')";

  public static final String RENEW_BEFORE_RANGE_MESSAGE = "must be a duration of at least 10s";

  /**
   * A five-field cron expression (minute, hour, day of month, month, day of week: each a list of
   * values, ranges and steps, or a star; months and days also by three-letter name), every value in
   * its field's range, so that the API server refuses what no cron library would parse. Written
   * out (an annotation needs a constant); CronPatternTest checks it against cron-utils. A range
   * written backwards (5-3) passes it and is refused by the operator (RenewalWindows Invalid).
   */
  public static final String CRON = "^\\s*"
      + "(\\*|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]?)?(,(\\*|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]?)?)*" // minute
      + "\\s+"
      + "(\\*|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]?)?(,(\\*|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]?)?)*" // hour
      + "\\s+"
      + "(\\*|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[1-9][0-9]?)?(,(\\*|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[1-9][0-9]?)?)*" // day of month
      + "\\s+"
      + "(\\*|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[1-9][0-9]?)?(,(\\*|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[1-9][0-9]?)?)*" // month
      + "\\s+"
      + "(\\*|([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|sun|mon|tue|wed|thu|fri|sat)(-([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|sun|mon|tue|wed|thu|fri|sat))?)(/[1-9][0-9]?)?(,(\\*|([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|sun|mon|tue|wed|thu|fri|sat)(-([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|sun|mon|tue|wed|thu|fri|sat))?)(/[1-9][0-9]?)?)*" // day of week
      + "\\s*$";

  /** An IANA time zone name's shape (Area/Location, UTC, Etc/GMT+3); whether it exists the operator checks. */
  public static final String TIME_ZONE = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$";
}
