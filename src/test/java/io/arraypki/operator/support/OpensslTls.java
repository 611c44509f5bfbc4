package io.arraypki.operator.support;

import io.arraypki.operator.k8s.SecretData;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A mutual-TLS handshake between two members with OpenSSL on both ends (s_server requiring a
 * client certificate, s_client verifying the server's chain and host name). Key files are
 * written owner-only into a test-private directory and deleted with it.
 */
public final class OpensslTls {
  private OpensslTls() {}

  /** Null on success, else OpenSSL's words for why it failed. */
  public static String handshake(Path dir, Secret server, Secret client, String serverName) throws Exception {
    Path s = materials(dir.resolve("server"), server);
    Path c = materials(dir.resolve("client"), client);
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Process serverProcess = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port,
        "-cert", s.resolve("tls.crt").toString(), "-key", s.resolve("tls.key").toString(),
        "-CAfile", s.resolve("ca.crt").toString(), "-Verify", "2", "-verify_return_error", "-naccept", "1")
        .redirectErrorStream(true).redirectOutput(dir.resolve("s_server.log").toFile()).start();
    try {
      // s_server prints ACCEPT once it listens; a probe connection would use up its one accept.
      for (int i = 0; i < 100 && !Files.readString(dir.resolve("s_server.log")).contains("ACCEPT"); i++) {
        Thread.sleep(100);
      }
      Commands.Result result = Commands.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
          "-cert", c.resolve("tls.crt").toString(), "-key", c.resolve("tls.key").toString(),
          "-CAfile", c.resolve("ca.crt").toString(), "-verify_hostname", serverName, "-verify_return_error",
          "-brief"), "", Map.of(), 30);
      serverProcess.waitFor(10, TimeUnit.SECONDS);
      String serverLog = Files.readString(dir.resolve("s_server.log"));
      boolean ok = result.exitCode() == 0 && result.output().contains("Verification: OK")
          && !serverLog.contains(":error:");
      return ok ? null : result.output() + "\n" + serverLog;
    } finally {
      serverProcess.destroyForcibly();
    }
  }

  private static Path materials(Path dir, Secret secret) throws IOException {
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    for (String key : List.of("tls.crt", "tls.key", "ca.crt")) {
      Files.writeString(dir.resolve(key), SecretData.text(secret, key).orElseThrow());
    }
    return dir;
  }
}
