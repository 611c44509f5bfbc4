package io.arraypki.operator.support;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real control plane the tests run against: started (or reused) once per JVM through
 * {@code e2e/local-cluster.sh up}, the same script the demo and the benchmark use. There is no
 * mock: if the control plane cannot be provisioned, every test that needs it fails. With
 * {@code -Darraypki.kubeconfig=<file>} it is that cluster instead, and kubectl the one on PATH.
 */
public final class LocalControlPlane {
  /** Set (by e2e/kind/run.sh) to run the tests against another cluster, such as Kind's. */
  private static final String KUBECONFIG_PROPERTY = "arraypki.kubeconfig";

  private static Path kubeconfig;

  private static boolean otherCluster() {
    return !System.getProperty(KUBECONFIG_PROPERTY, "").isBlank();
  }

  private LocalControlPlane() {}

  public static synchronized Path kubeconfig() {
    if (kubeconfig == null && otherCluster()) {
      kubeconfig = Path.of(System.getProperty(KUBECONFIG_PROPERTY));
    }
    if (kubeconfig == null) {
      Path script = Commands.projectDir().resolve("e2e/local-cluster.sh");
      Commands.run(List.of("bash", script.toString(), "up"), null, Map.of(), 3600).orFail("e2e/local-cluster.sh up");
      String path = Commands.run("bash", script.toString(), "kubeconfig").orFail("kubeconfig").output().trim();
      kubeconfig = Path.of(path);
    }
    return kubeconfig;
  }

  /** A new admin client of the control plane (callers close it). */
  public static KubernetesClient client() {
    return client(null);
  }

  /**
   * A new admin client that sends {@code userAgent} (when not null), so that the audit log
   * ({@link AuditLog}) names whoever wrote through it.
   */
  public static KubernetesClient client(String userAgent) {
    try {
      Config config = Config.fromKubeconfig(Files.readString(kubeconfig()));
      config.setRequestTimeout(30_000);
      if (userAgent != null) {
        config.setUserAgent(userAgent);
      }
      return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
    } catch (IOException e) {
      throw new AssertionError("cannot read the kubeconfig", e);
    }
  }

  /** kubectl of the pinned version against the control plane. */
  public static Commands.Result kubectl(String stdin, String... args) {
    List<String> command = new ArrayList<>();
    command.add(otherCluster() ? "kubectl" : binDir().resolve("kubectl").toString());
    command.add("--kubeconfig");
    command.add(kubeconfig().toString());
    command.addAll(List.of(args));
    return Commands.run(command, stdin, Map.of(), 120);
  }

  /** The pinned kubectl itself (for a plugin: kubectl takes no global flag before a plugin's name). */
  public static Path kubectlBinary() {
    return otherCluster() ? Path.of("kubectl") : binDir().resolve("kubectl");
  }

  private static Path binDir() {
    Path script = Commands.projectDir().resolve("e2e/local-cluster.sh");
    String env = Commands.run("bash", script.toString(), "env").orFail("env").output();
    for (String line : env.split("\n")) {
      if (line.startsWith("export PATH=")) {
        return Path.of(line.substring("export PATH=".length()).split(":")[0]);
      }
    }
    throw new AssertionError("e2e/local-cluster.sh env printed no PATH");
  }
}
