package io.arraypki.operator.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.k8s.Conditions;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** Builds arrays and nodes with the Java client, and waits for what the operator does. */
public final class Arrays {
  private Arrays() {}

  public static ClusterArray array(String namespace, String name, String primary) {
    ClusterArray array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    array.setSpec(new ClusterArraySpec());
    array.getSpec().primary = primary;
    return array;
  }

  /** An array whose CA comes from the issuer Secret {@code issuerSecret} (bring your own CA). */
  public static ClusterArray arrayWithIssuer(String namespace, String name, String issuerSecret) {
    ClusterArray array = array(namespace, name, name + "-0");
    array.getSpec().ca = new io.arraypki.operator.api.CaSpec();
    array.getSpec().ca.issuerRef = new io.arraypki.operator.api.IssuerRef();
    array.getSpec().ca.issuerRef.secretName = issuerSecret;
    return array;
  }

  public static ArrayNode node(String namespace, String name, String array) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    node.setSpec(new ArrayNodeSpec());
    node.getSpec().array = array;
    node.getSpec().peerDNSName = name + "." + array + ".example.com";
    node.getSpec().dnsNames = List.of(name + ".internal");
    node.getSpec().ipAddresses = List.of("127.0.0.1");
    return node;
  }

  public static void awaitArrayReady(KubernetesClient client, String namespace, String name, int members) {
    awaitArrayReady(client, namespace, name, members, Waits.converge());
  }

  /** The same, within a wait of the caller's (a class that starts while member pods start beside it). */
  public static void awaitArrayReady(KubernetesClient client, String namespace, String name, int members,
      org.awaitility.core.ConditionFactory wait) {
    wait.untilAsserted(() -> {
      ClusterArray array = client.resources(ClusterArray.class).inNamespace(namespace).withName(name).get();
      assertThat(array.getStatus()).isNotNull();
      assertThat(array.getStatus().readyMembers).isEqualTo(members);
      assertThat(Conditions.isTrue(array.getStatus().conditions, "Ready")).isTrue();
    });
  }

  public static ArrayNode get(KubernetesClient client, String namespace, String node) {
    return client.resources(ArrayNode.class).inNamespace(namespace).withName(node).get();
  }

  public static ClusterArray getArray(KubernetesClient client, String namespace, String name) {
    return client.resources(ClusterArray.class).inNamespace(namespace).withName(name).get();
  }

  public static Secret secret(KubernetesClient client, String namespace, String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }
}
