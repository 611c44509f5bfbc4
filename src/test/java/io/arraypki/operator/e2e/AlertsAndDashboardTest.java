package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Helm;
import io.arraypki.operator.support.OperatorMetricsScrape;
import io.arraypki.operator.support.OperatorMetricsScrape.Sample;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Promtool;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's alerts and dashboard against the operator's real /metrics: an array is brought into
 * every state an alert watches (a rotation in progress, a verify problem, a revocation, a Node whose
 * reconcile keeps failing), the leader's /metrics is scraped, and each alert is run by {@code
 * promtool test rules} on series with exactly the label sets that scrape had (plus the target
 * labels Prometheus adds), firing when it should, quiet when it should not, with its annotations
 * rendered. The rules are taken from the chart as helm renders them.
 */
class AlertsAndDashboardTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private static final YAMLMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern METRIC = Pattern.compile("\\b(arraypki_[a-z_]+|operator_sdk_[a-z_]+)\\b");
  private static List<Sample> scraped;

  private static String ns() {
    return operator.getNamespace();
  }

  /** Every metric the rules and the dashboard use, present in the leader's /metrics for this namespace. */
  private static final List<String> WANTED = List.of("arraypki_certificate_expiration_timestamp_seconds",
      "arraypki_certificate_renewal_timestamp_seconds", "arraypki_array_members_behind",
      "arraypki_verify_problems_total", "arraypki_rotation_started_timestamp_seconds",
      "arraypki_rotation_phase_ends_timestamp_seconds", "arraypki_crl_next_update_timestamp_seconds",
      "arraypki_certificates_issued_total", "arraypki_certificates_revoked_total", "arraypki_rotation_steps_total");

  @BeforeAll
  static void anArrayInEveryStateTheAlertsWatch() {
    Scenario scenario = new Scenario(operator);
    scenario.createArray("watch", 3, "10m", "1h");
    // a revocation: a requested renewal revokes the certificate it replaces, after the array's
    // propagation delay (a second here; the rotation's array waits ten minutes)
    scenario.createArray("renewed", 1, "1s", "1s");
    scenario.patch(io.arraypki.operator.api.ArrayNode.class, "renewed-0",
        "{\"metadata\":{\"annotations\":{\"arraypki.io/renew\":\"alerts-1\"}}}");
    // a verify problem: the candidate map edited by hand (repaired, and counted)
    // once the map lists its three candidates: an edit before the operator's own last write of it
    // would be overwritten by that write, never seen as an edit
    Waits.converge().until(() -> {
      CandidateMap map = operator.getKubernetesClient().resources(CandidateMap.class).inNamespace(ns())
          .withName("watch").get();
      return map != null && map.getSpec().entries != null && map.getSpec().entries.size() == 3;
    });
    scenario.patch(CandidateMap.class, "watch", "{\"spec\":{\"entries\":[{\"node\":\"watch-0\",\"certificateDigest\":"
        + "\"sha256:" + "00".repeat(32) + "\"}]}}");
    // a rotation in progress: members that never confirm are given the 10 minutes' propagation delay
    scenario.patch(ClusterArray.class, "watch", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"alerts-1\"}}}");
    scenario.awaitPhase("watch", RotationPhase.PublishingTrust);
    // a Node whose reconcile keeps failing: the name of its peer Secret is a user's Secret
    operator.getKubernetesClient().resource(new SecretBuilder().withNewMetadata().withName("blocked-0-peer-tls")
        .withNamespace(ns()).endMetadata().addToStringData("note", "a user's Secret").build()).create();
    operator.getKubernetesClient().resource(Arrays.array(ns(), "blocked", "blocked-0")).create();
    operator.getKubernetesClient().resource(Arrays.node(ns(), "blocked-0", "blocked")).create();

    Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      List<Sample> samples = OperatorMetricsScrape.scrape();
      for (String name : WANTED) {
        assertThat(OperatorMetricsScrape.find(samples, name, Map.of("namespace", ns())))
            .as("%s for this namespace's arrays on the leader's /metrics", name).isNotEmpty();
      }
      assertThat(OperatorMetricsScrape.find(samples, "operator_sdk_reconciliations_failed_total", Map.of("kind", "Node")))
          .as("failed Node reconciles counted").isNotEmpty();
      scraped = samples;
    });
  }

  private static Sample one(String name, Map<String, String> labels) {
    Map<String, String> wanted = new LinkedHashMap<>(labels);
    if (name.startsWith("arraypki_")) {
      wanted.put("namespace", ns());
    }
    List<Sample> found = OperatorMetricsScrape.find(scraped, name, wanted);
    assertThat(found).as("%s%s on the leader's /metrics", name, wanted).isNotEmpty();
    return found.get(0);
  }

  /** The series as Prometheus stores it: the sample's own labels (some changed) and the target's. */
  private static String series(Sample sample, Map<String, String> changed) {
    Map<String, String> labels = new java.util.TreeMap<>(sample.labels());
    labels.putAll(changed);
    labels.put("job", "arraypki-operator");
    labels.put("instance", "10.88.0.7:8080");
    labels.put("pod", "arraypki-operator-7d9f8c6b5-x2x9q");
    return sample.name() + labels.entrySet().stream().map(e -> e.getKey() + "=\"" + e.getValue() + "\"")
        .collect(Collectors.joining(",", "{", "}"));
  }

  private static Map<String, Object> input(String series, String values) {
    return Map.of("series", series, "values", values);
  }

  private static Map<String, Object> alert(String at, String name, List<Map<String, Object>> expected) {
    return Map.of("eval_time", at, "alertname", name, "exp_alerts", expected);
  }

  private static Map<String, Object> firing(Map<String, String> labels, Map<String, String> annotations) {
    return Map.of("exp_labels", labels, "exp_annotations", annotations);
  }

  private static Map<String, String> labels(Sample sample, String severity, String... keys) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String key : keys) {
      labels.put(key, sample.labels().get(key));
    }
    labels.put("severity", severity);
    return labels;
  }

  private static Map<String, Object> group(String name, List<Map<String, Object>> series,
      List<Map<String, Object>> alerts) {
    return Map.of("name", name, "interval", "1m", "input_series", series, "alert_rule_test", alerts);
  }

  /** The PrometheusRule the chart renders, as a plain rule file (its spec). */
  private static JsonNode chartRules() throws Exception {
    String rendered = Helm.run("template", "t", "charts/arraypki-operator", "--set", "prometheusRule.enabled=true",
        "-s", "templates/prometheusrule.yaml").orFail("helm template").output();
    JsonNode rule = YAML.readTree(rendered.substring(rendered.indexOf("apiVersion:")));
    assertThat(rule.get("kind").asText()).isEqualTo("PrometheusRule");
    return rule.get("spec");
  }

  /** The unit tests: for each alert, a case where it fires (with its labels and annotations) and where it does not. */
  private Map<String, Object> ruleTests() {
    List<Map<String, Object>> groups = new ArrayList<>();
    Sample expiration = one("arraypki_certificate_expiration_timestamp_seconds", Map.of("array", "watch", "kind", "peer"));
    Sample renewal = one("arraypki_certificate_renewal_timestamp_seconds", labelsOf(expiration, "array", "node", "kind"));
    Sample otherExpiration = OperatorMetricsScrape.find(scraped, expiration.name(), Map.of("namespace", ns(),
        "array", "watch", "kind", "peer")).stream().filter(s -> !s.labels().equals(expiration.labels())).findFirst()
        .orElseThrow();
    Sample otherRenewal = one(renewal.name(), labelsOf(otherExpiration, "array", "node", "kind"));
    String node = expiration.labels().get("node");
    String kind = expiration.labels().get("kind");
    String watch = ns() + "/watch";

    // expires in 5 days, nothing scheduled: fires after 10 minutes; the other node renews in 4 days: quiet
    groups.add(group("expiring without renewal", List.of(
            input(series(expiration, Map.of()), "432900x20"), input(series(renewal, Map.of()), "0x20"),
            input(series(otherExpiration, Map.of()), "432900x20"), input(series(otherRenewal, Map.of()), "345600x20")),
        List.of(alert("5m", "ArraypkiCertificateExpiringWithoutRenewal", List.of()),
            alert("15m", "ArraypkiCertificateExpiringWithoutRenewal", List.of(firing(
                labels(expiration, "critical", "namespace", "array", "node", "kind"),
                Map.of("summary", kind + " certificate of " + watch + " " + node
                        + " expires in 5d 0h 0m 0s with no renewal scheduled",
                    "description", "Nothing will renew this certificate before it expires. A CA brought in with"
                        + " spec.ca.issuerRef is never renewed by the operator: replace the issuer Secret's certificate."
                        + " Otherwise see `kubectl arraypki status watch -n " + ns() + "`.")))))));

    // due at 10 minutes, not renewed: overdue from 26 minutes, fires 5 minutes later
    groups.add(group("renewal overdue", List.of(
            input(series(expiration, Map.of()), "2592000x40"), input(series(renewal, Map.of()), "600x40")),
        List.of(alert("28m", "ArraypkiCertificateRenewalOverdue", List.of()),
            alert("35m", "ArraypkiCertificateRenewalOverdue", List.of(firing(
                labels(renewal, "warning", "namespace", "array", "node", "kind"),
                Map.of("summary", kind + " certificate of " + watch + " " + node + " is 25m 0s past its renewal time",
                    "description", "The operator has not renewed it. Look at the node's Ready condition and Events"
                        + " (`kubectl arraypki inspect " + node + " -n " + ns() + "`) and at the operator's log.")))))));

    Sample started = one("arraypki_rotation_started_timestamp_seconds", Map.of("array", "watch"));
    Sample phaseEnds = one("arraypki_rotation_phase_ends_timestamp_seconds", Map.of("array", "watch"));
    String phase = phaseEnds.labels().get("phase");
    String stuckDescription = "The rotation has not moved for %s beyond what it waits for. `kubectl arraypki status"
        + " watch -n " + ns() + "` shows whom it waits for.";
    // the phase was to end at 10 minutes: stuck from 26, fires at 31
    groups.add(group("rotation past its phase's end", List.of(
            input(series(started, Map.of()), "0x40"), input(series(phaseEnds, Map.of()), "600x40")),
        List.of(alert("28m", "ArraypkiRotationStuck", List.of()),
            alert("35m", "ArraypkiRotationStuck", List.of(firing(
                labels(phaseEnds, "warning", "namespace", "array", "phase"),
                Map.of("summary", "CA rotation of " + watch + " is stuck in " + phase,
                    "description", String.format(stuckDescription, "25m 0s"))))))));
    // re-signing (no wait of its own) 6 hours after the rotation began
    groups.add(group("rotation re-signing for hours", List.of(
            input(series(started, Map.of("phase", "Resigning")), "0x400")),
        List.of(alert("6h", "ArraypkiRotationStuck", List.of()),
            alert("6h10m", "ArraypkiRotationStuck", List.of(firing(
                Map.of("namespace", ns(), "array", "watch", "phase", "Resigning", "severity", "warning"),
                Map.of("summary", "CA rotation of " + watch + " is stuck in Resigning",
                    "description", String.format(stuckDescription, "6h 10m 0s"))))))));
    // a prepared next CA waits for its activation time, however long: never stuck for that
    groups.add(group("prepared CA waiting", List.of(
            input(series(started, Map.of("phase", "Prepared", "reason", "Renewal")), "0x500")),
        List.of(alert("8h", "ArraypkiRotationStuck", List.of()))));

    Sample behind = one("arraypki_array_members_behind", Map.of("array", "watch"));
    groups.add(group("members behind", List.of(input(series(behind, Map.of()), "0 2x40")),
        List.of(alert("20m", "ArraypkiMembersBehind", List.of()),
            alert("35m", "ArraypkiMembersBehind", List.of(firing(labels(behind, "warning", "namespace", "array"),
                Map.of("summary", "2 member(s) of " + watch + " have not loaded their Secrets for 30 minutes",
                    "description", "Members that confirm on their trust Lease have not confirmed the bundle and"
                        + " certificate their Secrets hold: a pod not restarted, a volume not refreshed, a member"
                        + " library that cannot read its files.")))))));

    Sample problem = one("arraypki_verify_problems_total", Map.of("array", "watch"));
    groups.add(group("verify problem", List.of(input(series(problem, Map.of()), "0 0 0 0 0 1x60")),
        List.of(alert("3m", "ArraypkiVerifyProblems", List.of()),
            alert("10m", "ArraypkiVerifyProblems", List.of(firing(
                labels(problem, "warning", "namespace", "array", "problem"),
                Map.of("summary", "verify found " + problem.labels().get("problem") + " in " + watch,
                    "description", "The operator repaired it; find out who changed the array's certificates,"
                        + " candidate map or Secrets (the array's VerifyFailed Events name them).")))),
            alert("45m", "ArraypkiVerifyProblems", List.of()))));

    Sample crl = one("arraypki_crl_next_update_timestamp_seconds", Map.of("array", "watch"));
    Sample otherCrl = crl; // quiet case: the same series five days ahead, in its own group
    groups.add(group("CRL near its nextUpdate", List.of(input(series(crl, Map.of()), "174000x30")),
        List.of(alert("10m", "ArraypkiCrlNextUpdateSoon", List.of()),
            alert("20m", "ArraypkiCrlNextUpdateSoon", List.of(firing(labels(crl, "warning", "namespace", "array"),
                Map.of("summary", "CRLs of " + watch + " reach their nextUpdate in 2d 0h 0m 0s",
                    "description", "The operator has not re-signed them; members that check CRLs will refuse"
                        + " every peer once they pass nextUpdate.")))))));
    groups.add(group("CRL freshly signed", List.of(input(series(otherCrl, Map.of()), "432000x30")),
        List.of(alert("20m", "ArraypkiCrlNextUpdateSoon", List.of()))));

    Sample failed = one("operator_sdk_reconciliations_failed_total", Map.of("kind", "Node"));
    groups.add(group("reconciles failing", List.of(input(series(failed, Map.of()), "0+1x40")),
        List.of(alert("10m", "ArraypkiReconcileErrors", List.of()),
            alert("20m", "ArraypkiReconcileErrors", List.of(firing(labels(failed, "warning", "kind", "exception"),
                Map.of("summary", "Node reconciles keep failing with " + failed.labels().get("exception"),
                    "description", "The failing objects have a Ready condition with reason ReconcileFailed or"
                        + " NameCollision and a Warning Event; the operator's log has the cause.")))))));
    groups.add(group("reconciles failed once", List.of(input(series(failed, Map.of()), "0 1x40")),
        List.of(alert("30m", "ArraypkiReconcileErrors", List.of()))));

    Map<String, Object> tests = new LinkedHashMap<>();
    tests.put("rule_files", List.of("rules.yaml"));
    tests.put("evaluation_interval", "1m");
    tests.put("tests", groups);
    return tests;
  }

  private static Map<String, String> labelsOf(Sample sample, String... keys) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String key : keys) {
      labels.put(key, sample.labels().get(key));
    }
    return labels;
  }

  private io.arraypki.operator.support.Commands.Result promtoolTest(JsonNode rules) throws Exception {
    Files.writeString(dir.resolve("rules.yaml"), YAML.writeValueAsString(rules));
    Files.writeString(dir.resolve("tests.yaml"), YAML.writeValueAsString(ruleTests()));
    return Promtool.run(dir, "test", "rules", "tests.yaml");
  }

  @Test
  void everyAlertFiresAndStaysQuietUnderPromtoolOnSeriesShapedLikeTheOperatorsOwnMetrics() throws Exception {
    JsonNode rules = chartRules();
    Set<String> alerts = new TreeSet<>();
    rules.get("groups").forEach(g -> g.get("rules").forEach(r -> alerts.add(r.get("alert").asText())));
    assertThat(alerts).containsExactlyInAnyOrder("ArraypkiCertificateExpiringWithoutRenewal",
        "ArraypkiCertificateRenewalOverdue", "ArraypkiRotationStuck", "ArraypkiMembersBehind", "ArraypkiVerifyProblems",
        "ArraypkiCrlNextUpdateSoon", "ArraypkiReconcileErrors");
    assertThat(Promtool.run(dir, "check", "rules", writeRules(rules).toString()).orFail("promtool check rules")
        .output()).contains("SUCCESS: 7 rules found");

    var result = promtoolTest(rules);

    assertThat(result.exitCode()).as("promtool test rules:\n%s", result.output()).isZero();
    assertThat(result.output()).contains("SUCCESS");
    for (String name : metricsIn(rules.toString())) {
      assertThat(scraped).as("%s, which an alert uses, is on the operator's /metrics", name)
          .anyMatch(s -> s.name().equals(name));
    }
  }

  @Test
  void theRuleTestsCatchAnAlertWhoseMetricWasRenamedOrThresholdChanged() throws Exception {
    JsonNode renamed = YAML.readTree(chartRules().toString()
        .replace("arraypki_array_members_behind", "arraypki_members_behind"));
    var result = promtoolTest(renamed);
    assertThat(result.exitCode()).as("promtool test rules with a renamed metric").isNotZero();
    assertThat(result.output()).contains("ArraypkiMembersBehind");

    JsonNode loosened = YAML.readTree(chartRules().toString().replace("< 3 * 86400", "< 1 * 86400"));
    var second = promtoolTest(loosened);
    assertThat(second.exitCode()).as("promtool test rules with a changed threshold").isNotZero();
    assertThat(second.output()).contains("ArraypkiCrlNextUpdateSoon");
  }

  @Test
  void theDashboardsQueriesAreValidPromqlOverMetricsTheOperatorExports() throws Exception {
    String rendered = Helm.run("template", "t", "charts/arraypki-operator", "--set", "grafanaDashboard.enabled=true",
        "-s", "templates/grafana-dashboard.yaml").orFail("helm template").output();
    JsonNode configMap = YAML.readTree(rendered.substring(rendered.indexOf("apiVersion:")));
    assertThat(configMap.get("metadata").get("labels").get("grafana_dashboard").asText()).isEqualTo("1");
    JsonNode dashboard = JSON.readTree(configMap.get("data").get("arraypki-operator.json").asText());
    List<String> queries = new ArrayList<>();
    dashboard.get("panels").forEach(p -> p.get("targets").forEach(t -> queries.add(t.get("expr").asText())));
    assertThat(queries).hasSizeGreaterThanOrEqualTo(12);

    Path valid = recordingRules(queries);
    assertThat(Promtool.run(dir, "check", "rules", valid.toString()).orFail("promtool check rules").output())
        .contains("SUCCESS: " + queries.size() + " rules found");
    for (String name : metricsIn(String.join("\n", queries))) {
      assertThat(scraped).as("%s, which the dashboard shows, is on the operator's /metrics", name)
          .anyMatch(s -> s.name().equals(name));
    }

    List<String> broken = new ArrayList<>(queries);
    broken.set(0, queries.get(0).replaceFirst("\\)", ""));
    assertThat(Promtool.run(dir, "check", "rules", recordingRules(broken).toString()).exitCode())
        .as("promtool check rules refuses a query with a parenthesis missing").isNotZero();
  }

  /** Grafana's variables as Prometheus would see them once Grafana has filled them in. */
  private Path recordingRules(List<String> queries) throws Exception {
    List<Map<String, Object>> rules = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      String expr = queries.get(i).replace("$namespace", ".*").replace("$array", ".*")
          .replace("$__rate_interval", "5m");
      rules.add(Map.of("record", "dashboard:query_" + i, "expr", expr));
    }
    Path file = Files.createTempFile(dir, "dashboard", ".yaml");
    Files.writeString(file, YAML.writeValueAsString(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));
    return file;
  }

  private Path writeRules(JsonNode rules) throws Exception {
    Path file = dir.resolve("chart-rules.yaml");
    Files.writeString(file, YAML.writeValueAsString(rules));
    return file;
  }

  private static Set<String> metricsIn(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
