package io.arraypki.operator.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real tools the tests check with: the project's scripts, kubectl, openssl. */
public final class Commands {
  private Commands() {}

  /** The exit code and the combined output of a finished command. */
  public record Result(int exitCode, String output) {
    public Result orFail(String what) {
      if (exitCode != 0) {
        throw new AssertionError(what + " failed (exit " + exitCode + "):\n" + output);
      }
      return this;
    }
  }

  public static Result run(List<String> command, String stdin, Map<String, String> env, long timeoutSeconds) {
    return runIn(projectDir(), command, stdin, env, timeoutSeconds);
  }

  public static Result runIn(Path directory, List<String> command, String stdin, Map<String, String> env,
      long timeoutSeconds) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(directory.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      if (stdin != null) {
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      process.getOutputStream().close();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " timed out");
      }
      return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public static Result run(String... command) {
    return run(List.of(command), null, Map.of(), 600);
  }

  public static Result openssl(String... args) {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    return run(command, null, Map.of(), 60);
  }

  public static Path projectDir() {
    return Path.of(System.getProperty("arraypki.project.dir", ".")).toAbsolutePath();
  }
}
