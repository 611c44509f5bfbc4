package io.arraypki.operator.ops;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The operator's own settings, from the environment (as the chart and manifests set them). */
public record OperatorSettings(
    Set<String> watchNamespaces,
    int httpPort,
    boolean leaderElection,
    String leaderElectionNamespace,
    String identity,
    int reconcileThreads,
    boolean jsonLogs) {

  public static final String LEASE_NAME = "arraypki-operator-leader";

  public static OperatorSettings fromEnvironment(Map<String, String> env) {
    Set<String> namespaces = Arrays.stream(env.getOrDefault("WATCH_NAMESPACES", "").split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
    return new OperatorSettings(
        namespaces,
        Integer.parseInt(env.getOrDefault("HTTP_PORT", "8080")),
        !"false".equalsIgnoreCase(env.getOrDefault("LEADER_ELECTION", "true")),
        env.getOrDefault("LEADER_ELECTION_NAMESPACE", podNamespace(env)),
        identity(env),
        Integer.parseInt(env.getOrDefault("RECONCILE_THREADS", "16")),
        "json".equalsIgnoreCase(env.getOrDefault("LOG_FORMAT", "text")));
  }

  /**
   * Who holds the lease: the pod's name in a pod (downward API), else host and process, so that
   * two operators on one machine never share an identity.
   */
  private static String identity(Map<String, String> env) {
    String pod = env.get("POD_NAME");
    if (pod != null && !pod.isEmpty()) {
      return pod;
    }
    return env.getOrDefault("HOSTNAME", "local") + "-" + ProcessHandle.current().pid();
  }

  /** In a pod the lease lives in the pod's namespace (downward API), else in "default". */
  private static String podNamespace(Map<String, String> env) {
    return env.getOrDefault("POD_NAMESPACE", "default");
  }
}
