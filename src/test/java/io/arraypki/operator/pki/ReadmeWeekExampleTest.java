package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.pki.RenewalWindows.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "A week with a window" states times that the operator's own functions compute; this
 * test computes them again and checks that the README says exactly those, so the example cannot
 * drift from the code (it did once, when the spread began to keep a window's last tenth free).
 */
class ReadmeWeekExampleTest {
  private static final RenewalWindows TUESDAY_IN_BERLIN =
      RenewalWindows.parse(List.of(new Spec("0 3 * * TUE", "Europe/Berlin", "3h")));
  private static final Duration RENEW_BEFORE = Duration.ofHours(720);
  private static final String ARRAY_UID = "uid-sgd";

  private static RenewalTime peerRenewal(String node) {
    Instant issued = Instant.parse("2026-11-08T09:00:00Z"); // Sunday 8 November 2026, 10:00 in Berlin
    Instant notAfter = issued.plus(Duration.ofHours(2160));
    return RenewalTime.decide(notAfter.minus(RENEW_BEFORE), RenewalTime.lastSafe(issued, notAfter, RENEW_BEFORE),
        RenewalTime.spread(ARRAY_UID + "/" + node + "-peer-tls"), TUESDAY_IN_BERLIN);
  }

  @Test
  void theReadmeWeekExampleShowsTheTimesTheRenewalFunctionsCompute() throws Exception {
    String readme = Files.readString(Path.of("README.md"));

    var nodeA = peerRenewal("node-a");
    var nodeB = peerRenewal("node-b");
    var nodeC = peerRenewal("node-c");
    assertThat(List.of(nodeA, nodeB, nodeC)).allSatisfy(t -> {
      assertThat(t.kind()).isEqualTo(RenewalTime.Kind.IN_WINDOW);
      assertThat(t.window().start()).isEqualTo(Instant.parse("2027-01-12T02:00:00Z"));
    });
    assertThat(readme)
        .contains("node-a `" + nodeA.at() + "`")
        .contains("node-b `" + clock(nodeB.at()) + "Z`")
        .contains("node-c `" + clock(nodeC.at()) + "Z`")
        .contains("| Tue 12 Jan, " + berlinClock(nodeB.at()) + " |");

    Instant caBegan = Instant.parse("2017-02-09T09:30:00Z"); // 9 February 2017, 10:30 in Berlin
    Instant caNotAfter = caBegan.plus(Duration.ofHours(87600));
    Instant caDue = caNotAfter.minus(RENEW_BEFORE);
    assertThat(caDue).isEqualTo(Instant.parse("2027-01-08T09:30:00Z")); // "Fri 8 Jan, 10:30"
    assertThat(caDue.minus(Duration.ofHours(8760))).isEqualTo(Instant.parse("2026-01-08T09:30:00Z"));
    var ca = RenewalTime.decide(caDue, RenewalTime.lastSafe(caBegan, caNotAfter, RENEW_BEFORE),
        RenewalTime.spread(ARRAY_UID + "/ca"), TUESDAY_IN_BERLIN);
    assertThat(ca.kind()).isEqualTo(RenewalTime.Kind.IN_WINDOW);
    assertThat(readme)
        .contains("caRenewalTime: " + ca.at() + "`")
        .contains("| Tue 12 Jan, " + berlinClock(ca.at()) + " | CA generation 2 activates");
  }

  private static String clock(Instant at) {
    return at.toString().substring(11, 19);
  }

  private static String berlinClock(Instant at) {
    return at.atZone(java.time.ZoneId.of("Europe/Berlin")).toLocalTime().toString();
  }
}
