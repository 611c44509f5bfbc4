package io.arraypki.operator.ops.cli;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.TrustState;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What {@code kubectl arraypki status <array>} shows: the array, its CAs, the rotation in progress,
 * the next renewals, who is behind and what verify found, read from the objects' status only
 * (pure: built from objects the command read once, so that it is tested without a cluster).
 */
public record ArrayStatusReport(
    String namespace,
    String array,
    String primary,
    int members,
    int readyMembers,
    List<ConditionLine> conditions,
    Ca ca,
    List<Trusted> trustedCAs,
    Rotation rotation,
    Renewal renewal,
    List<Member> memberList,
    List<Behind> behind,
    List<Problem> problems) {

  public record ConditionLine(String type, String status, String reason, String message) {}

  public record Ca(Long generation, String fingerprint, String notAfter, String renewalTime, String preparationTime) {}

  public record Trusted(Long generation, String fingerprint, String notAfter, String retireAfter) {}

  public record Rotation(String phase, String reason, Long toGeneration, Integer resigned, Integer total,
      String phaseEndsAt, List<String> waitingFor, Integer waitingForCount) {}

  public record Renewal(String nextWindowStart, String nextWindowEnd) {}

  public record Member(String name, String role, String ready, Long caGeneration, String caFingerprint,
      String trust, String peerRenews, String clientRenews) {}

  /** A member that does not yet serve what the array's current CA signed, or has stopped confirming. */
  public record Behind(String name, String why) {}

  public record Problem(String node, String problem, String message) {}

  public static ArrayStatusReport of(ClusterArray array, List<ArrayNode> nodes, CandidateMap map) {
    var status = array.getStatus();
    String namespace = array.getMetadata().getNamespace();
    String name = array.getMetadata().getName();
    if (status == null) {
      return new ArrayStatusReport(namespace, name, array.getSpec() == null ? null : array.getSpec().primary, 0, 0,
          List.of(), null, List.of(), null, null, members(nodes, List.of()), List.of(), problems(map));
    }
    List<Trusted> trusted = status.trustedCAs == null ? List.of()
        : status.trustedCAs.stream().map(t -> new Trusted(t.generation, t.fingerprint, t.notAfter, t.retireAfter)).toList();
    Ca ca = status.ca == null ? null
        : new Ca(status.ca.generation, status.ca.fingerprint, status.ca.notAfter,
            status.renewal == null ? null : status.renewal.caRenewalTime,
            status.renewal == null ? null : status.renewal.caPreparationTime);
    Rotation rotation = status.rotation == null ? null
        : new Rotation(text(status.rotation.phase), text(status.rotation.reason), status.rotation.toGeneration,
            status.rotation.resigned, status.rotation.total, status.rotation.phaseEndsAt,
            status.rotation.waitingFor == null ? List.of() : status.rotation.waitingFor, status.rotation.waitingForCount);
    Renewal renewal = status.renewal == null || status.renewal.nextWindowStart == null ? null
        : new Renewal(status.renewal.nextWindowStart, status.renewal.nextWindowEnd);
    List<Member> members = members(nodes, trusted);
    List<Behind> behind = new ArrayList<>();
    String current = status.ca == null ? null : status.ca.fingerprint;
    for (ArrayNode node : sorted(nodes)) {
      var s = node.getStatus();
      String nodeName = node.getMetadata().getName();
      if (s == null || s.peerCertificate == null) {
        behind.add(new Behind(nodeName, "no peer certificate yet"));
        continue;
      }
      if (current != null && s.caFingerprint != null && !current.equals(s.caFingerprint)) {
        Long generation = generationOf(s.caFingerprint, trusted);
        behind.add(new Behind(nodeName, "signed by " + (generation == null ? "a CA no longer trusted"
            : "CA generation " + generation) + ", not the current generation " + status.ca.generation));
      }
      if (s.trust != null && (s.trust.state == TrustState.Stale || s.trust.state == TrustState.Loading)) {
        behind.add(new Behind(nodeName, "trust " + s.trust.state
            + (s.trust.behindSince == null ? "" : " since " + s.trust.behindSince)));
      }
    }
    return new ArrayStatusReport(namespace, name, status.primary, zeroIfNull(status.members),
        zeroIfNull(status.readyMembers), conditions(status.conditions), ca, trusted, rotation, renewal, members,
        List.copyOf(behind), problems(map));
  }

  private static List<ArrayNode> sorted(List<ArrayNode> nodes) {
    return nodes.stream().sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList();
  }

  private static List<Member> members(List<ArrayNode> nodes, List<Trusted> trusted) {
    return sorted(nodes).stream().map(node -> {
      var s = node.getStatus();
      if (s == null) {
        return new Member(node.getMetadata().getName(), null, null, null, null, null, null, null);
      }
      String ready = s.conditions == null ? null : s.conditions.stream()
          .filter(c -> "Ready".equals(c.getType())).map(Condition::getStatus).findFirst().orElse(null);
      return new Member(node.getMetadata().getName(), text(s.role), ready, generationOf(s.caFingerprint, trusted),
          s.caShortFingerprint, s.trust == null ? null : text(s.trust.state),
          s.peerCertificate == null ? null : s.peerCertificate.renewalTime,
          s.clientCertificate == null ? null : s.clientCertificate.renewalTime);
    }).toList();
  }

  private static Long generationOf(String fingerprint, List<Trusted> trusted) {
    return trusted.stream().filter(t -> Objects.equals(t.fingerprint(), fingerprint)).map(Trusted::generation)
        .findFirst().orElse(null);
  }

  private static List<ConditionLine> conditions(List<Condition> conditions) {
    return conditions == null ? List.of() : conditions.stream()
        .map(c -> new ConditionLine(c.getType(), c.getStatus(), c.getReason(), c.getMessage())).toList();
  }

  private static List<Problem> problems(CandidateMap map) {
    if (map == null || map.getStatus() == null || map.getStatus().problems == null) {
      return List.of();
    }
    return map.getStatus().problems.stream().map(p -> new Problem(p.node, text(p.problem), p.message)).toList();
  }

  private static int zeroIfNull(Integer value) {
    return value == null ? 0 : value;
  }

  private static String text(Object value) {
    return value == null ? null : value.toString();
  }

  /** One screen: a summary, then a table of the members. */
  public String render() {
    var out = new StringBuilder();
    String ready = conditions.stream().filter(c -> "Ready".equals(c.type())).map(ConditionLine::status)
        .findFirst().orElse("Unknown");
    out.append("ClusterArray ").append(namespace).append('/').append(array).append(": Ready=").append(ready)
        .append(", ").append(readyMembers).append('/').append(members).append(" members ready, primary ")
        .append(orDash(primary)).append('\n');
    if (ca != null) {
      out.append(label("CA")).append("generation ").append(ca.generation()).append(", ")
          .append(Columns.shortFingerprint(ca.fingerprint())).append(", valid until ").append(orDash(ca.notAfter()));
      if (ca.renewalTime() != null) {
        out.append(", renews ").append(ca.renewalTime());
      }
      out.append('\n');
    }
    if (!trustedCAs.isEmpty()) {
      out.append(label("Trusted CAs")).append(String.join("; ", trustedCAs.stream().map(t -> "generation "
          + t.generation() + " " + Columns.shortFingerprint(t.fingerprint())
          + (t.retireAfter() == null ? "" : " (retires after " + t.retireAfter() + ")")).toList())).append('\n');
    }
    out.append(label("Rotation"));
    if (rotation == null || rotation.phase() == null || "Idle".equals(rotation.phase())) {
      out.append("none in progress");
    } else {
      out.append(rotation.phase()).append(" (").append(orDash(rotation.reason())).append(") to generation ")
          .append(rotation.toGeneration());
      if (rotation.total() != null) {
        out.append(": ").append(rotation.resigned() == null ? 0 : rotation.resigned()).append('/')
            .append(rotation.total()).append(" re-signed");
      }
      if (!rotation.waitingFor().isEmpty()) {
        int count = rotation.waitingForCount() == null ? rotation.waitingFor().size() : rotation.waitingForCount();
        out.append(", waiting for ").append(count).append(": ").append(String.join(", ", rotation.waitingFor()));
      }
      if (rotation.phaseEndsAt() != null) {
        out.append("; phase ends by ").append(rotation.phaseEndsAt());
      }
    }
    out.append('\n');
    out.append(label("Windows")).append(renewal == null ? "none (renewals when due)"
        : "next " + renewal.nextWindowStart() + " to " + renewal.nextWindowEnd()).append('\n');
    out.append(label("Conditions")).append(String.join("  ", conditions.stream().map(c -> c.type() + "="
        + c.status() + (c.reason() == null || c.reason().isEmpty() ? "" : "(" + c.reason() + ")")).toList()))
        .append('\n');
    out.append(label("Behind")).append(behind.isEmpty() ? "nobody"
        : String.join("; ", behind.stream().map(b -> b.name() + ": " + b.why()).toList())).append('\n');
    out.append(label("Verify")).append(problems.isEmpty() ? "no problems"
        : problems.size() + " problem(s): " + String.join("; ", problems.stream()
            .map(p -> orDash(p.node()) + " " + p.problem() + (p.message() == null ? "" : ": " + p.message())).toList()))
        .append("\n\n");
    var table = new Columns("MEMBER", "ROLE", "READY", "CA GEN", "TRUST", "PEER RENEWS", "CLIENT RENEWS");
    for (Member m : memberList) {
      table.row(m.name(), orDash(m.role()), orDash(m.ready()),
          m.caGeneration() == null ? "-" : m.caGeneration().toString(), orDash(m.trust()), orDash(m.peerRenews()),
          orDash(m.clientRenews()));
    }
    out.append(table.render());
    return out.toString();
  }

  private static String label(String name) {
    return String.format("%-12s", name);
  }

  static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }
}
