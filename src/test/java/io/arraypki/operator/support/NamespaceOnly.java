package io.arraypki.operator.support;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import io.javaoperatorsdk.operator.junit.DefaultNamespaceNameSupplier;
import io.javaoperatorsdk.operator.junit.DefaultPerClassNamespaceNameSupplier;
import java.time.Duration;
import java.util.List;

/**
 * No operator of its own: the extension only gives each test class a namespace and deletes it
 * afterwards. For the operator that already runs in the cluster (installed with its CRDs by helm),
 * and for the tests that start, stop and kill operators themselves, which must know that no
 * other operator reconciles their namespace. JOSDK's own ClusterDeployedOperatorExtension would
 * also apply CRDs from the annotation processor's output, which this project does not use.
 */
public final class NamespaceOnly extends AbstractOperatorExtension {
  NamespaceOnly(KubernetesClient client) {
    super(List.of(), Duration.ofMinutes(1), true, false, false, client, client,
        new DefaultNamespaceNameSupplier(), new DefaultPerClassNamespaceNameSupplier());
  }
}
