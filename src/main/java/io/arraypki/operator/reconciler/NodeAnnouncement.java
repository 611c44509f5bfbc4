package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.ops.OperatorMetrics;

/**
 * What a Node reconcile tells, as values the planner returns and the applier turns into Events
 * and counters (nothing is announced before its write is made).
 */
sealed interface NodeAnnouncement {

  void announce(ArrayNode node, EventRecorder events);

  /** A certificate planned for a node (issued, re-signed or kept); the Event and counter only when issued. */
  record Leaf(NodeCertificate kind, String array, LeafIssuer.Result result) implements NodeAnnouncement {
    @Override
    public void announce(ArrayNode node, EventRecorder events) {
      if (result.issuedReason() != null) {
        OperatorMetrics.issued(node.getMetadata().getNamespace(), array, kind.metric);
      }
      result.announce(events, node, kind.issuedEvent, kind.what);
    }
  }

  record StandaloneCaGenerated(String fingerprint) implements NodeAnnouncement {
    @Override
    public void announce(ArrayNode node, EventRecorder events) {
      events.normal(node, "StandaloneCAGenerated", "not in an array: generated its own CA " + fingerprint);
    }
  }

  /** A warning the node newly has (a pin that does not match, a keystore password missing). */
  record Warning(NodeStatusBuilder.Reason reason, String message) implements NodeAnnouncement {
    @Override
    public void announce(ArrayNode node, EventRecorder events) {
      events.warning(node, reason.name(), message);
    }
  }
}
