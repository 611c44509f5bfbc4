package io.arraypki.operator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The pinned helm of e2e/local-cluster.sh, run against the local control plane's kubeconfig. */
public final class Helm {
  private Helm() {}

  private static Path binary;

  /** The first directory of the PATH printed by {@code e2e/local-cluster.sh env} that holds a helm. */
  public static synchronized Path binary() {
    if (binary != null) {
      return binary;
    }
    String env = Commands.run("bash", Commands.projectDir().resolve("e2e/local-cluster.sh").toString(), "env")
        .orFail("e2e/local-cluster.sh env").output();
    for (String line : env.split("\n")) {
      if (line.startsWith("export PATH=")) {
        for (String dir : line.substring("export PATH=".length()).split(":")) {
          Path candidate = Path.of(dir).resolve("helm");
          if (!dir.startsWith("$") && Files.isExecutable(candidate)) {
            binary = candidate;
            return binary;
          }
        }
      }
    }
    throw new AssertionError("e2e/local-cluster.sh env printed no PATH with helm:\n" + env);
  }

  /** helm ARGS with KUBECONFIG set to the local control plane's, from the project directory. */
  public static Commands.Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add(binary().toString());
    command.addAll(List.of(args));
    return Commands.run(command, null, Map.of("KUBECONFIG", LocalControlPlane.kubeconfig().toString()), 300);
  }
}
