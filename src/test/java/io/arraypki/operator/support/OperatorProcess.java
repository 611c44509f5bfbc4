package io.arraypki.operator.support;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The operator as a separate JVM (OperatorMain, the jar's main class, on the test classpath),
 * watching one namespace, so that a test can kill it with SIGKILL at any point. Give each a log
 * from {@link #log}; {@code KUBERNETES_USER_AGENT} in its environment names its API requests
 * in the audit log ({@link AuditLog}).
 */
public final class OperatorProcess implements AutoCloseable {
  /**
   * Where the logs of these JVMs go: under target/, kept after the test (a test's temporary
   * directory is deleted with it), so that SecretsHygieneIT scans them for private keys.
   */
  public static final Path LOGS = Commands.projectDir().resolve("target/operator-processes");

  private final Process process;

  private OperatorProcess(Process process) {
    this.process = process;
  }

  public static OperatorProcess start(String namespace, Path log) throws IOException {
    return start(namespace, log, java.util.Map.of("LEADER_ELECTION", "false"));
  }

  /** With more environment, such as leader election settings. */
  public static OperatorProcess start(String namespace, Path log, java.util.Map<String, String> env)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "io.arraypki.operator.OperatorMain")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("KUBECONFIG", LocalControlPlane.kubeconfig().toString());
    builder.environment().put("WATCH_NAMESPACES", namespace);
    builder.environment().put("HTTP_PORT", "0");
    builder.environment().putAll(env);
    return new OperatorProcess(builder.start());
  }

  /** The log file {@code name} of a test class's operator JVMs, in {@link #LOGS}. */
  public static Path log(Class<?> test, String name) throws IOException {
    return java.nio.file.Files.createDirectories(LOGS.resolve(test.getSimpleName())).resolve(name);
  }

  /** SIGKILL: no shutdown hook, no finally block, nothing flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, as the kubelet stops a pod, and waits for the process to end; true if it ended. */
  public boolean terminate(java.time.Duration within) throws InterruptedException {
    process.destroy();
    return process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

}
