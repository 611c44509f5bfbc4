package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import org.junit.jupiter.api.Test;

/** How a failed reconcile is told: which failures say nothing, and what the ones that do say. */
class ReconcileFailureTest {
  /** The API server's refusal in a namespace being deleted, as NamespaceLifecycle words it. */
  private static KubernetesClientException terminating() {
    return new KubernetesClientException(new StatusBuilder().withCode(403).withReason("Forbidden")
        .withMessage("secrets \"m-peer-tls\" is forbidden: unable to create new content in namespace ns because it"
            + " is being terminated")
        .withNewDetails().addNewCause().withReason("NamespaceTerminating").withField("metadata.namespace")
        .withMessage("namespace ns is being terminated").endCause().endDetails().build());
  }

  @Test
  void aWriteRefusedBecauseTheNamespaceIsGoingIsNeitherReportedNorRetried() {
    Exception wrapped = new OperatorException(terminating());
    assertThat(ReconcileFailure.namespaceTerminating(wrapped)).isTrue();
    assertThat(ReconcileFailure.reportable(wrapped)).isFalse();
  }

  @Test
  void anyOtherForbiddenWriteIsReported() {
    var forbidden = new KubernetesClientException(new StatusBuilder().withCode(403).withReason("Forbidden")
        .withMessage("secrets is forbidden: User cannot patch resource").build());
    assertThat(ReconcileFailure.namespaceTerminating(forbidden)).isFalse();
    assertThat(ReconcileFailure.reportable(forbidden)).isTrue();
    assertThat(ReconcileFailure.describe(forbidden)).contains("cannot patch").contains("retried with backoff");
  }
}
