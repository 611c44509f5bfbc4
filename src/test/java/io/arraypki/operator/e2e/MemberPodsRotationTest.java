package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.MemberPods;
import static io.arraypki.operator.support.MemberPodsRecord.keepLogs;
import static io.arraypki.operator.support.MemberPodsRecord.record;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Propagation;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Zero outage with real pods: member pods on the local worker node, their Secrets and the trust
 * ConfigMap mounted as volumes and delivered by a kubelet with its default settings
 * (syncFrequency 1m, Watch), calling each other with mutual TLS every second while the
 * operator (the chart's pod) rotates. The two tests run at the same time (each waits on the
 * kubelet for minutes): one with the defaults, which must see no failed call, and one with a
 * trust propagation delay deliberately shorter than the kubelet's, which must see failures, so
 * that the zero above is a measurement that can fail.
 */
@Tag("member-pods")
@Order(1) // first, so that the rest of the suite runs while these pods wait on the kubelet
@Execution(ExecutionMode.CONCURRENT) // beside the other classes, which run one after another
class MemberPodsRotationTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private final Scenario scenario = new Scenario(operator);

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT) // with the other test of this class
  void aPrimaryChangeARenewCaAndARenewCertificatesEachCompleteWithZeroFailedCallsBetweenSixMemberPodsAtTheKubeletsDefaults()
      throws Exception {
    // the rotation settings a user gets, but overlap: its default is an hour
    List<String> nodes = scenario.createArray("safe", 6, null, "2m");
    MemberPods members = MemberPods.start(client(), ns(), "safe", nodes);
    try (Propagation propagation = new Propagation(client(), ns(), members)) {
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(members::allPeersReached);
      record("safe: " + nodes.size() + " member pods calling each other, default trustPropagationDelay "
          + "(2m), overlap 2m, kubelet syncFrequency 1m");

      MemberPods.Totals start = members.totals();
      Instant began = Instant.now();
      scenario.setPrimary("safe", "safe-1");
      awaitRotatedTo(2, members, propagation);
      MemberPods.Totals afterPrimary = members.totals();
      record(String.format("safe: primary change: %s in %d s", afterPrimary.minus(start).text(), since(began)));

      began = Instant.now();
      scenario.patch(ClusterArray.class, "safe", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"t1\"}}}");
      awaitRotatedTo(3, members, propagation);
      MemberPods.Totals afterRenewCa = members.totals();
      record(String.format("safe: renew-ca: %s in %d s", afterRenewCa.minus(afterPrimary).text(), since(began)));

      began = Instant.now();
      Map<String, BigInteger> replaced = leafSerials(nodes);
      scenario.patch(ClusterArray.class, "safe",
          "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-certificates\":\"t1\"}}}");
      Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        ClusterArrayStatus status = scenario.status("safe");
        assertThat(status.lastHandledRenewal).isNotNull();
        assertThat(status.lastHandledRenewal.certificates).isEqualTo("t1");
      });
      // the replaced certificates go on the CRL after the trust propagation delay; then the CRL
      // reaches every pod, and every member must still reach every other
      Waits.upTo(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(revokedSerials("safe")).containsAll(replaced.values()));
      awaitEveryPodCaughtUp(members, propagation);
      MemberPods.Totals afterRenewCertificates = members.totals();
      record(String.format("safe: renew-certificates: %s in %d s", afterRenewCertificates.minus(afterRenewCa).text(),
          since(began)));
      record("safe: kubelet propagation, API write to the file in the pod: " + propagation.summary());

      MemberPods.Totals all = afterRenewCertificates.minus(start);
      assertThat(all.attempts()).as("calls made during the three rotations").isGreaterThan(6L * 5 * 300);
      assertThat(all.failures()).as("failed calls between member pods during the rotations, "
          + all.failuresSeenByBothEnds()).isZero();
      assertThat(propagation.samples()).as("propagation delays measured").isNotEmpty();
    } finally {
      keepLogs("safe", members);
      members.delete();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aTrustPropagationDelayShorterThanTheKubeletsMakesMemberPodsRefuseEachOtherDuringAPrimaryChange()
      throws Exception {
    List<String> nodes = scenario.createArray("hasty", 3, "0s", "0s");
    MemberPods members = MemberPods.start(client(), ns(), "hasty", nodes);
    try (Propagation propagation = new Propagation(client(), ns(), members)) {
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(members::allPeersReached);
      // What the rotation's failures are measured against: a steady state once every member has
      // reached every other, as in the safe array's test. Startup is not part of it: on a loaded
      // machine a member's first handshakes can time out while its peers' JVMs are still cold.
      MemberPods.Totals reached = members.totals();
      Waits.upTo(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
          .until(() -> members.totals().minus(reached).attempts() >= 3L * 2 * 5);
      MemberPods.Totals start = members.totals();
      MemberPods.Totals steady = start.minus(reached);
      assertThat(steady.failures()).as("no failure in the steady state before the rotation: " + steady.recentFailures())
          .isZero();
      Instant began = Instant.now();
      scenario.setPrimary("hasty", "hasty-1");
      awaitRotatedTo(2, members, propagation);
      MemberPods.Totals during = members.totals().minus(start);
      record(String.format("hasty: primary change with trustPropagationDelay 0s and overlap 0s: %s in %d s",
          during.text(), since(began)));

      assertThat(during.failures()).as("calls refused while the kubelet delivered the new leaves and bundles")
          .isPositive();
      assertThat(String.join("\n", during.recentFailures())).as("refused for their certificates")
          .containsAnyOf("certificate", "PKIX", "CertPath", "unknown_ca", "bad_certificate");
      // and once every pod holds the new material, they reach each other again
      MemberPods.Totals settled = members.totals();
      Waits.upTo(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(2))
          .until(() -> members.totals().minus(settled).successes() > 30);
      assertThat(members.totals().minus(settled).failures()).as("failures after every pod caught up").isZero();
    } finally {
      keepLogs("hasty", members);
      members.delete();
    }
  }

  /**
   * The rotation to CA {@code generation} is over (only it trusted, every member re-signed) and
   * every pod holds what the API holds: its leaf, the bundle without the old CA, the CRL.
   */
  private void awaitRotatedTo(long generation, MemberPods members, Propagation propagation) {
    String array = members.array();
    Waits.upTo(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      ClusterArrayStatus status = scenario.status(array);
      assertThat(status.ca.generation).isEqualTo(generation);
      assertThat(status.trustedCAs).extracting(t -> t.generation).containsExactly(generation);
      assertThat(status.readyMembers).isEqualTo(members.nodes().size());
    });
    awaitEveryPodCaughtUp(members, propagation);
  }

  private void awaitEveryPodCaughtUp(MemberPods members, Propagation propagation) {
    Waits.upTo(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(propagation::caughtUp);
    // a few more rounds of calls with what every pod now holds
    MemberPods.Totals now = members.totals();
    Waits.upTo(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
        .until(() -> members.totals().minus(now).successes() >= 2L * members.nodes().size() * (members.nodes().size() - 1));
  }

  private Map<String, BigInteger> leafSerials(List<String> nodes) {
    return nodes.stream().collect(Collectors.toMap(n -> n, n -> leaf(n).getSerialNumber()));
  }

  private X509Certificate leaf(String node) {
    return Pem.certificate(SecretData.text(scenario.secret(node + "-peer-tls"), "tls.crt").orElseThrow(), "tls.crt");
  }

  private List<BigInteger> revokedSerials(String array) throws Exception {
    String pem = client().configMaps().inNamespace(ns()).withName(array + "-trust").get().getData().get("crl.pem");
    var factory = java.security.cert.CertificateFactory.getInstance("X.509");
    return factory.generateCRLs(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
        .stream().map(c -> (X509CRL) c)
        .flatMap(c -> c.getRevokedCertificates() == null ? java.util.stream.Stream.empty()
            : c.getRevokedCertificates().stream())
        .map(e -> e.getSerialNumber()).toList();
  }

  private static long since(Instant began) {
    return Duration.between(began, Instant.now()).toSeconds();
  }

}
