package io.arraypki.operator.member;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The daemon's environment variables. */
class MemberSettingsTest {
  @Test
  void defaultsAreThoseOfAMemberPod() {
    Settings s = Settings.fromEnvironment(Map.of("MEMBER_NAME", "node-a"), false);
    assertThat(s.memberName()).isEqualTo("node-a");
    assertThat(s.tlsDirectory()).isEqualTo(Path.of("/etc/array/tls"));
    assertThat(s.trustDirectory()).isEqualTo(Path.of("/etc/array/trust"));
    assertThat(s.listenPort()).isEqualTo(7443);
    assertThat(s.statsPort()).isEqualTo(8080);
    assertThat(s.callInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.callTimeout()).isEqualTo(Duration.ofMillis(10000));
    assertThat(s.peers()).isEmpty();
    assertThat(s.peerSelector()).isNull();
    assertThat(s.trustLease()).isNull();
  }

  @Test
  void everySettingIsReadFromItsVariable() {
    Settings s = Settings.fromEnvironment(Map.of("MEMBER_NAME", "node-a", "TLS_DIR", "/t", "TRUST_DIR", "/r",
        "LISTEN_PORT", "9443", "STATS_PORT", "9090", "CALL_INTERVAL_MS", "250", "CALL_TIMEOUT_MS", "1000",
        "PEER_SELECTOR", "app=sgd,tier in (db)", "POD_NAMESPACE", "pki", "TRUST_LEASE", "node-a-trust"));
    assertThat(s).isEqualTo(new Settings("node-a", Path.of("/t"), Path.of("/r"), 9443, 9090, Duration.ofMillis(250),
        Duration.ofSeconds(1), List.of(), "app=sgd,tier in (db)", "pki", "node-a-trust"));
  }

  @Test
  void trustConfirmationsAreOnInAPodOnTheMembersLeaseUnlessTurnedOff() {
    Map<String, String> member = Map.of("MEMBER_NAME", "node-a");
    assertThat(Settings.fromEnvironment(member, false).trustLease()).isNull();
    assertThat(Settings.fromEnvironment(member, true).trustLease()).isEqualTo("node-a-trust");
    assertThat(Settings.fromEnvironment(Map.of("MEMBER_NAME", "node-a", "CONFIRM_TRUST", "false"), true).trustLease())
        .isNull();
    assertThat(Settings.fromEnvironment(Map.of("MEMBER_NAME", "node-a", "CONFIRM_TRUST", "true"), true).trustLease())
        .isEqualTo("node-a-trust");
    // named explicitly: on, in a pod or not
    assertThat(Settings.fromEnvironment(Map.of("MEMBER_NAME", "node-a", "TRUST_LEASE", "other-trust"), false)
        .trustLease()).isEqualTo("other-trust");
    assertThat(Settings.fromEnvironment(Map.of("MEMBER_NAME", "node-a", "TRUST_LEASE", "other-trust"), true)
        .describe()).contains("confirming trust on Lease other-trust");
  }

  @Test
  void contradictoryOrMisspeltTrustSettingsAreRefused() {
    assertThatThrownBy(() -> Settings.fromEnvironment(
        Map.of("MEMBER_NAME", "a", "TRUST_LEASE", "a-trust", "CONFIRM_TRUST", "false"), true))
        .hasMessageContaining("TRUST_LEASE").hasMessageContaining("CONFIRM_TRUST=false");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "CONFIRM_TRUST", "no"), true))
        .hasMessageContaining("CONFIRM_TRUST must be true or false");
  }

  @Test
  void staticPeersAreNameEqualsDnsNameAtHostColonPort() {
    assertThat(Settings.parsePeers(" node-b=node-b.sgd.example.com@10.0.0.2:7443, node-c=c.example@[fd00::3]:7444,"))
        .containsExactly(new Peer("node-b", "node-b.sgd.example.com", "10.0.0.2", 7443),
            new Peer("node-c", "c.example", "fd00::3", 7444));
    assertThat(new Peer("node-c", "c.example", "fd00::3", 7444)).hasToString("node-c (c.example at [fd00::3]:7444)");
  }

  @Test
  void badSettingsAreRefusedNamingTheVariable() {
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of())).hasMessageContaining("MEMBER_NAME");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "LISTEN_PORT", "x")))
        .hasMessageContaining("LISTEN_PORT");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "STATS_PORT", "70000")))
        .hasMessageContaining("STATS_PORT");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "CALL_INTERVAL_MS", "0")))
        .hasMessageContaining("CALL_INTERVAL_MS");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "PEERS", "node-b@10.0.0.2:7443")))
        .hasMessageContaining("PEERS entry 'node-b@10.0.0.2:7443'");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "PEERS", "b=b.example@h:port")))
        .hasMessageContaining("no port number");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "PEER_SELECTOR", "app=sgd")))
        .hasMessageContaining("POD_NAMESPACE");
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("MEMBER_NAME", "a", "PEERS", "b=b.example@h:1",
        "PEER_SELECTOR", "app=sgd", "POD_NAMESPACE", "pki"))).hasMessageContaining("not both");
  }
}
