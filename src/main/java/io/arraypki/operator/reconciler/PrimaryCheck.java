package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import java.util.List;

/**
 * Whether the named primary can act as the CA: a member of the array, online and master-capable.
 * The message names the fix.
 */
record PrimaryCheck(String name, boolean ok, String reason, String message) {

  static PrimaryCheck of(String primary, List<ArrayNode> members) {
    ArrayNode node = members.stream()
        .filter(n -> n.getMetadata().getName().equals(primary))
        .findFirst()
        .orElse(null);
    if (node == null) {
      return new PrimaryCheck(primary, false, "PrimaryNotMember",
          "primary " + primary + " is not a Node of this array: create Node " + primary
              + " with spec.array set to this array, or set spec.primary to one of its members");
    }
    if (Boolean.TRUE.equals(node.getSpec().offline)) {
      return new PrimaryCheck(primary, false, "PrimaryOffline",
          "primary " + primary + " is offline: set its spec.offline to false, or name another primary");
    }
    if (Boolean.FALSE.equals(node.getSpec().masterCapable)) {
      return new PrimaryCheck(primary, false, "PrimaryNotMasterCapable",
          "primary " + primary + " is not master-capable: set its spec.masterCapable to true, or name another primary");
    }
    return new PrimaryCheck(primary, true, "PrimaryReady", "primary " + primary + " acts as the CA");
  }
}
