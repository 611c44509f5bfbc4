package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Per-node access: a Role and RoleBinding that let the node's ServiceAccount {@code get} exactly
 * the Secrets it holds (by name) and its array's trust ConfigMap, and write its own trust Lease
 * (its confirmations; no other member's). Nothing else: no list, no watch, no create.
 */
public final class AccessRoles {
  private AccessRoles() {}

  public static String name(String node) {
    return node + "-arraypki-reader";
  }

  public static Role role(HasMetadata node, String array, List<String> secrets, List<String> configMaps,
      List<String> leases) {
    String nodeName = node.getMetadata().getName();
    List<PolicyRule> rules = new ArrayList<>();
    if (!secrets.isEmpty()) {
      rules.add(new PolicyRuleBuilder().withApiGroups("").withResources("secrets").withVerbs("get")
          .withResourceNames(secrets).build());
    }
    if (!configMaps.isEmpty()) {
      rules.add(new PolicyRuleBuilder().withApiGroups("").withResources("configmaps").withVerbs("get")
          .withResourceNames(configMaps).build());
    }
    if (!leases.isEmpty()) {
      rules.add(new PolicyRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases")
          .withVerbs("get", "update", "patch").withResourceNames(leases).build());
    }
    return new RoleBuilder()
        .withMetadata(ManagedObjects.metadata(name(nodeName), node, array, nodeName, Labels.COMPONENT_ACCESS,
            Map.of(), Map.of()))
        .withRules(rules)
        .build();
  }

  public static RoleBinding binding(HasMetadata node, String array, String serviceAccount) {
    String nodeName = node.getMetadata().getName();
    return new RoleBindingBuilder()
        .withMetadata(ManagedObjects.metadata(name(nodeName), node, array, nodeName, Labels.COMPONENT_ACCESS,
            Map.of(), Map.of()))
        .withNewRoleRef("rbac.authorization.k8s.io", "Role", name(nodeName))
        .addNewSubject().withKind("ServiceAccount").withName(serviceAccount)
        .withNamespace(node.getMetadata().getNamespace()).endSubject()
        .build();
  }
}
