package io.arraypki.operator.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class CrdCheckTest {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static CustomResourceDefinition copyOf(CustomResourceDefinition crd) {
    return SERIALIZATION.clone(crd);
  }

  @Test
  void theJarCarriesEveryGeneratedCrdAndEachIsCurrentAgainstItself() {
    for (String name : CrdCheck.NAMES) {
      var bundled = CrdCheck.bundled(name);
      assertThat(bundled.getMetadata().getName()).isEqualTo(name);
      assertThat(CrdCheck.compare(bundled, copyOf(bundled)).verdict()).isEqualTo(CrdCheck.Verdict.CURRENT);
    }
  }

  @Test
  void anOlderSchemaMissingAFieldIsNotCurrentAndSaysWhichVersion() {
    var bundled = CrdCheck.bundled("clusterarrays.arraypki.io");
    var installed = copyOf(bundled);
    var spec = installed.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    spec.getProperties().remove("renewal");

    var result = CrdCheck.compare(bundled, installed);

    assertThat(result.verdict()).isEqualTo(CrdCheck.Verdict.DIFFERS);
    assertThat(result.differences()).containsExactly("the schema of v1alpha1 differs");
  }

  @Test
  void aMissingPrinterColumnOrAnAbsentCrdIsReported() {
    var bundled = CrdCheck.bundled("nodes.arraypki.io");
    var installed = copyOf(bundled);
    installed.getSpec().getVersions().get(0).getAdditionalPrinterColumns().remove(0);

    assertThat(CrdCheck.compare(bundled, installed).differences()).containsExactly("the printer columns of v1alpha1 differ");
    assertThat(CrdCheck.compare(bundled, null).verdict()).isEqualTo(CrdCheck.Verdict.MISSING);
  }
}
