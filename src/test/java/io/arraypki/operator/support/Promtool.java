package io.arraypki.operator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Prometheus' promtool, built from its Go module by e2e/tools.sh (once, then cached). */
public final class Promtool {
  private Promtool() {}

  private static Path binary;

  public static synchronized Path binary() {
    if (binary == null) {
      String out = Commands.run(List.of("bash", Commands.projectDir().resolve("e2e/tools.sh").toString(), "promtool"),
          null, Map.of(), 3600).orFail("e2e/tools.sh promtool").output().trim();
      binary = Path.of(out.substring(out.lastIndexOf('\n') + 1));
      if (!Files.isExecutable(binary)) {
        throw new AssertionError("e2e/tools.sh promtool printed no executable: " + out);
      }
    }
    return binary;
  }

  /** promtool ARGS in {@code directory}. */
  public static Commands.Result run(Path directory, String... args) {
    List<String> command = new ArrayList<>();
    command.add(binary().toString());
    command.addAll(List.of(args));
    return Commands.runIn(directory, command, null, Map.of(), 300);
  }
}
