package io.arraypki.operator.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** The record of the member pods' runs: measured lines in target/member-pods/results.txt, and the daemons' logs. */
public final class MemberPodsRecord {
  public static final Path RESULTS = Commands.projectDir().resolve("target/member-pods/results.txt");

  private MemberPodsRecord() {}

  /** Appends a measured line (with the time) and prints it. */
  public static synchronized void record(String line) throws IOException {
    Files.createDirectories(RESULTS.getParent());
    Files.writeString(RESULTS, Instant.now() + " " + line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.println("member-pods: " + line);
  }

  /** Keeps each member daemon's log beside the results. */
  public static void keepLogs(String array, MemberPods members) {
    for (String node : members.nodes()) {
      try {
        Files.writeString(RESULTS.resolveSibling(array + "-" + node + ".log"), members.logs(node));
      } catch (IOException | RuntimeException e) {
        // the record of a run is a help, not a result
      }
    }
  }
}
