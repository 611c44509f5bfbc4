package io.arraypki.operator.e2e;

import static io.arraypki.operator.support.MemberPodsRecord.keepLogs;
import static io.arraypki.operator.support.MemberPodsRecord.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CaSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RenewalSpec;
import io.arraypki.operator.api.RenewalWindowSpec;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.MemberPods;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The next CA, prepared (DESIGN.md section 6), with real member pods on the local worker node
 * (kubelet defaults) that confirm what they load: a CA of 20 minutes renews 12 minutes before its
 * end, its successor is published 3 minutes before that and confirmed by every member, and its
 * activation, inside a minute-wide renewal window, re-signs every member with no trust wait and
 * no failed call between them. The rotation's timers are far longer than the test (10 minutes'
 * propagation delay, an hour's overlap), so what moves it is the members' confirmations.
 */
@Tag("member-pods")
@Order(2) // early, beside the other member pods: the rest of the suite runs while the kubelet delivers
@Execution(ExecutionMode.CONCURRENT)
class PreparedCaActivationPodsTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private final Scenario scenario = new Scenario(operator);

  private static boolean insideAWindow(Instant t) {
    return t.atZone(ZoneOffset.UTC).getMinute() % 2 == 0;
  }

  @Test
  void aPreparedCaIsTrustedByEveryMemberBeforeItSignsAndItsActivationInAWindowResignsWithNoTrustWaitOrFailedCall()
      throws Exception {
    List<String> nodes = array("prep", 3);
    Map<String, MemberPods.Kind> kinds = new LinkedHashMap<>();
    nodes.forEach(n -> kinds.put(n, MemberPods.Kind.JAVA_CONFIRMING));
    MemberPods members = MemberPods.start(scenario.client(), scenario.ns(), "prep", kinds);
    try {
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(members::allPeersReached);
      MemberPods.Totals start = members.totals();

      // prepared: generation 2 is in every bundle and every member has loaded it; generation 1 signs
      Waits.upTo(Duration.ofMinutes(9)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        ClusterArrayStatus s = scenario.status("prep");
        assertThat(s.rotation.phase).isEqualTo(RotationPhase.Prepared);
        assertThat(s.rotation.reason).isEqualTo(RotationReason.Renewal);
      });
      ClusterArrayStatus prepared = scenario.status("prep");
      assertThat(prepared.ca.generation).as("the old CA still signs").isEqualTo(1L);
      assertThat(prepared.rotation.toGeneration).isEqualTo(2L);
      assertThat(Conditions.find(prepared.conditions, "Rotating")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("Prepared");
      });
      Instant activation = Instant.parse(prepared.rotation.phaseEndsAt);
      assertThat(insideAWindow(activation)).as("it activates at %s, inside a window", activation).isTrue();
      assertThat(prepared.renewal.caRenewalTime).isEqualTo(prepared.rotation.phaseEndsAt);
      X509Certificate first = CaSecrets.read(scenario.secret("prep-ca-g1")).certificate();
      X509Certificate next = CaSecrets.read(scenario.secret("prep-ca-g2")).certificate();
      String nextDigest = Fingerprints.digest(next);
      String nextShort = Fingerprints.shortForm(Fingerprints.fingerprint(next));
      for (String node : nodes) {
        List<X509Certificate> bundle = Pem.certificates(SecretData.text(scenario.secret(node + "-peer-tls"), "ca.crt")
            .orElseThrow(), "ca.crt");
        assertThat(bundle).extracting(Fingerprints::digest).as("%s's Secret trusts the prepared CA", node)
            .contains(nextDigest);
        ArrayNode n = Arrays.get(scenario.client(), scenario.ns(), node);
        assertThat(n.getStatus().trust.state).as("%s confirmed it", node).isEqualTo(TrustState.Current);
        assertThat(n.getStatus().trust.trustedCAs).as("%s's member loaded it", node).contains(nextShort);
      }
      assertThat(Instant.now()).as("prepared before its activation").isBefore(activation);

      // activation: Prepared goes straight to Resigning (no PublishingTrust, no trust wait), and
      // the rotation ends once every member serves its certificate of generation 2 (generation 1
      // no longer trusted). Resigning lasts only as long as the operator's own writes (well under a
      // second), so the phases are taken from a watch, which sees every status write, not by polling.
      List<RotationPhase> seen = new CopyOnWriteArrayList<>();
      AtomicReference<Instant> signing = new AtomicReference<>();
      // the activation time as last planned: an operator that wakes after its window has closed
      // moves it to the next window, and says so in phaseEndsAt
      AtomicReference<Instant> plannedActivation = new AtomicReference<>(activation);
      AtomicBoolean generationOneRetired = new AtomicBoolean();
      Watch watch = scenario.client().resources(ClusterArray.class).inNamespace(scenario.ns()).withName("prep")
          .watch(new Watcher<ClusterArray>() {
            @Override
            public void eventReceived(Action action, ClusterArray a) {
              ClusterArrayStatus s = a.getStatus();
              if (s == null || s.rotation == null || generationOneRetired.get()) {
                return;
              }
              if (s.trustedCAs.stream().noneMatch(t -> t.generation == 1L)) {
                generationOneRetired.set(true); // what follows is the next rotation's
                return;
              }
              if (seen.isEmpty() || seen.get(seen.size() - 1) != s.rotation.phase) {
                seen.add(s.rotation.phase);
              }
              if (s.rotation.phase == RotationPhase.Prepared && s.rotation.phaseEndsAt != null) {
                plannedActivation.set(Instant.parse(s.rotation.phaseEndsAt));
              }
              if (s.ca.generation == 2L) {
                signing.compareAndSet(null, Instant.now());
              }
            }

            @Override
            public void onClose(WatcherException cause) {}
          });
      try {
        Waits.upTo(Duration.ofMinutes(8)).pollInterval(Duration.ofMillis(500)).until(generationOneRetired::get);
      } finally {
        watch.close();
      }
      Instant signingAt = signing.get();
      assertThat(signingAt).as("generation 2 seen signing").isNotNull();
      assertThat(scenario.status("prep").ca.generation).isGreaterThanOrEqualTo(2L);
      Instant activatedAt = plannedActivation.get();
      Duration late = Duration.between(activatedAt, signingAt);
      MemberPods.Totals during = members.totals().minus(start);
      record(String.format("prepared CA: 3 members confirming, CA of 20m renewing 12m before its end, prepared 3m"
          + " ahead, windows every even minute: phases after Prepared %s, signing %d s after its activation time"
          + " %s (first planned %s), %s", seen, late.toSeconds(), activatedAt, activation, during.text()));

      assertThat(seen).as("phases from Prepared until generation 1 was retired")
          .containsExactly(RotationPhase.Prepared, RotationPhase.Resigning, RotationPhase.Retiring);
      assertThat(insideAWindow(activatedAt)).as("it activated at %s, inside a window", activatedAt).isTrue();
      // its activation time and the operator's wake-up (seconds, or a minute when two busy cores
      // hold it back), far from the 10 minutes a trust wait would take
      assertThat(late).as("it signed at its activation time, with no trust wait").isLessThan(Duration.ofMinutes(2));
      assertThat(during.failures()).as("failed calls between member pods, "
          + during.failuresSeenByBothEnds()).isZero();
      assertThat(during.attempts()).as("calls made meanwhile").isGreaterThan(3L * 2 * 60);
      for (String node : nodes) {
        X509Certificate leaf = Pem.certificate(SecretData.text(scenario.secret(node + "-peer-tls"), "tls.crt")
            .orElseThrow(), "tls.crt");
        assertThat(leaf.getIssuerX500Principal()).as("%s re-signed by the prepared CA (or its successor)", node)
            .isNotEqualTo(first.getSubjectX500Principal());
      }
    } finally {
      keepLogs("prep", members);
      members.delete();
    }
  }

  /**
   * An array whose CA lives 20 minutes, renews 12 minutes before its end (8 minutes in) and
   * prepares its successor 3 minutes before that (its own renewal then comes 5 minutes after its
   * activation, once this rotation is over), with windows every even UTC minute; {@code size} members
   * with ServiceAccounts of their own; Ready.
   */
  private List<String> array(String name, int size) {
    ClusterArray a = Arrays.array(scenario.ns(), name, name + "-0");
    a.getSpec().ca = new CaSpec();
    a.getSpec().ca.duration = "20m";
    a.getSpec().ca.renewBefore = "12m";
    a.getSpec().ca.prepareBefore = "3m";
    a.getSpec().rotation = new RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = "10m";
    a.getSpec().rotation.overlap = "1h";
    a.getSpec().renewal = new RenewalSpec();
    RenewalWindowSpec window = new RenewalWindowSpec();
    window.cron = "*/2 * * * *";
    window.windowDuration = "1m";
    a.getSpec().renewal.windows = List.of(window);
    scenario.client().resource(a).create();
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String node = name + "-" + i;
      scenario.client().resource(new ServiceAccountBuilder().withNewMetadata().withName(node + "-member")
          .withNamespace(scenario.ns()).endMetadata().build()).create();
      ArrayNode n = Arrays.node(scenario.ns(), node, name);
      n.getSpec().serviceAccountName = node + "-member";
      scenario.client().resource(n).create();
      nodes.add(node);
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), name, size);
    return nodes;
  }
}
