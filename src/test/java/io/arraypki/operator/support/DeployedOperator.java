package io.arraypki.operator.support;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import io.javaoperatorsdk.operator.junit.DefaultNamespaceNameSupplier;
import io.javaoperatorsdk.operator.junit.DefaultPerClassNamespaceNameSupplier;
import java.time.Duration;
import java.util.List;

/**
 * An operator that already runs in the cluster, installed with its CRDs by helm: the extension
 * only gives each test class a namespace and deletes it afterwards. JOSDK's own
 * ClusterDeployedOperatorExtension would also apply CRDs from the annotation processor's output,
 * which this project does not use.
 */
final class DeployedOperator extends AbstractOperatorExtension {
  DeployedOperator(KubernetesClient client) {
    super(List.of(), Duration.ofMinutes(1), true, false, false, client, client,
        new DefaultNamespaceNameSupplier(), new DefaultPerClassNamespaceNameSupplier());
  }
}
