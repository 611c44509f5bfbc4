package io.arraypki.operator.hygiene;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Run after the end-to-end suite passed against the operator holding only the token of the
 * chart's ServiceAccount (e2e/operator-as-serviceaccount.sh; the API server's audit log records
 * every request of that account): the suite needed no right beyond the chart's, and each right
 * of the chart's ClusterRole was used, or has a reason it cannot show in the audit log.
 */
class LeastPrivilegeIT {
  private static final String ACCOUNT = "system:serviceaccount:arraypki-least-privilege:arraypki-operator";
  private static final Path PROJECT = Commands.projectDir();

  /** Rights exercised inside another request, so never a request of their own in the audit log. */
  private static final Map<String, String> NOT_A_REQUEST_OF_ITS_OWN = Map.of(
      "certificates.k8s.io/signers sign",
      "the API server checks it when the signer writes a certificate into a CSR's status",
      "/configmaps create", "a server-side apply that creates the object is authorized as create in the PATCH",
      "arraypki.io/candidatemaps create", "a server-side apply that creates the object is authorized as create",
      "rbac.authorization.k8s.io/roles create", "a server-side apply that creates the object is authorized as create",
      "rbac.authorization.k8s.io/rolebindings create",
      "a server-side apply that creates the object is authorized as create",
      "/configmaps get", "the per-node reader Role grants it, and RBAC lets the operator grant only what it holds",
      "coordination.k8s.io/leases create", "a server-side apply that creates the object is authorized as create",
      "coordination.k8s.io/leases update",
      "the per-node reader Role grants it to the member, and RBAC lets the operator grant only what it holds");

  @Test
  void theOperatorUnderTheChartsServiceAccountWasNeverDeniedARequest() throws IOException {
    List<String> denied = new ArrayList<>();
    for (JsonNode entry : accountRequests()) {
      if (entry.path("responseStatus").path("code").asInt() == 403
          && !entry.path("responseStatus").path("message").asText().contains("being terminated")) {
        denied.add(right(entry) + ": " + entry.path("responseStatus").path("message").asText());
      }
    }
    assertThat(accountRequests()).as("requests of %s in the audit log", ACCOUNT).hasSizeGreaterThan(1000);
    assertThat(denied).as("requests the chart's roles did not allow").isEmpty();
  }

  @Test
  void everyRightOfTheChartsClusterRoleWasUsedByTheSuiteOrHasAReason() throws IOException {
    Set<String> used = new TreeSet<>();
    for (JsonNode entry : accountRequests()) {
      used.add(right(entry));
    }
    Set<String> granted = new TreeSet<>();
    for (PolicyRule rule : clusterRole().getRules()) {
      for (String resource : rule.getResources()) {
        for (String verb : rule.getVerbs()) {
          granted.add(rule.getApiGroups().get(0) + "/" + resource + " " + verb);
        }
      }
    }

    Set<String> unused = new TreeSet<>(granted);
    unused.removeAll(used);
    unused.removeAll(NOT_A_REQUEST_OF_ITS_OWN.keySet());
    assertThat(unused).as("granted by the chart's ClusterRole, never used (used: %s)", used).isEmpty();
  }

  private static String right(JsonNode entry) {
    JsonNode ref = entry.path("objectRef");
    String resource = ref.path("resource").asText()
        + (ref.path("subresource").asText().isEmpty() ? "" : "/" + ref.path("subresource").asText());
    return ref.path("apiGroup").asText() + "/" + resource + " " + entry.path("verb").asText();
  }

  private static ClusterRole clusterRole() throws IOException {
    try (KubernetesClient client = LocalControlPlane.client();
        InputStream yaml = Files.newInputStream(PROJECT.resolve("deploy/operator.yaml"))) {
      return client.load(yaml).items().stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
          .findFirst().orElseThrow();
    }
  }

  /** The requests of the account since e2e/operator-as-serviceaccount.sh started the operator. */
  private static List<JsonNode> accountRequests() throws IOException {
    Instant startedAt = Instant.parse(Files.readString(PROJECT.resolve("target/least-privilege/started-at")).trim());
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> entries = new ArrayList<>();
    Path logs = LocalControlPlane.kubeconfig().getParent().resolve("logs");
    try (Stream<Path> files = Files.list(logs)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("audit")).toList()) {
        try (Stream<String> lines = Files.lines(file)) {
          lines.filter(line -> line.contains(ACCOUNT)).map(line -> read(json, line))
              .filter(e -> ACCOUNT.equals(e.path("user").path("username").asText()))
              .filter(e -> !e.path("objectRef").isMissingNode())
              .filter(e -> !Instant.parse(e.path("requestReceivedTimestamp").asText()).isBefore(startedAt))
              .forEach(entries::add);
        }
      }
    }
    return entries;
  }

  private static JsonNode read(ObjectMapper json, String line) {
    try {
      return json.readTree(line);
    } catch (IOException e) {
      throw new AssertionError("unreadable audit line: " + line, e);
    }
  }
}
