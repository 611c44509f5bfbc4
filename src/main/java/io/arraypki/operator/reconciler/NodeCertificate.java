package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.pki.LeafProfile;

/**
 * The kinds of certificate a node may be entitled to; one flow issues each of them, whether the
 * operator holds the key or the node does (then its CSRs bring the key, and the flow re-signs it).
 */
enum NodeCertificate {
  PEER(Labels.COMPONENT_PEER, "CertificateIssued", "peer certificate", "peer"),
  CLIENT(Labels.COMPONENT_CLIENT, "ClientCertificateIssued", "client certificate", "client");

  final String component;
  /** The reason of the Normal Event a renewal or change announces. */
  final String issuedEvent;
  final String what;
  /** The kind label of the issued counter. */
  final String metric;

  NodeCertificate(String component, String issuedEvent, String what, String metric) {
    this.component = component;
    this.issuedEvent = issuedEvent;
    this.what = what;
    this.metric = metric;
  }

  String secretName(String node) {
    return this == PEER ? Names.peerSecret(node) : Names.clientSecret(node);
  }

  LeafProfile profile(IssuingView view, ArrayNode node) {
    return this == PEER ? view.peerProfile(node) : view.clientProfile(node);
  }
}
