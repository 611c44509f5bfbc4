package io.arraypki.operator.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import org.junit.jupiter.api.Test;

class InformerStoresTest {

  private static Secret passwordSecret() {
    return new SecretBuilder().withNewMetadata().withName("ks-pass").withNamespace("pki").withResourceVersion("7")
        .addToLabels("team", "db").addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"data\":1}")
        .endMetadata().withType("Opaque").addToData("password", "c2VjcmV0").build();
  }

  @Test
  void aSecretKeptWithoutDataHoldsNeitherItsDataNorItsLabelsOrAnnotations() {
    ItemStore<Secret> store = InformerStores.withoutData();
    store.put("pki/ks-pass", passwordSecret());

    Secret kept = store.get("pki/ks-pass");
    assertThat(kept.getData()).isNull();
    assertThat(kept.getStringData()).isNull();
    assertThat(kept.getMetadata().getAnnotations()).isEmpty();
    assertThat(kept.getMetadata().getLabels()).isEmpty();
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("7");
  }

  /** JOSDK's event handler reads every object's annotations: null there lost the event (found in the pod). */
  @Test
  void aSecretKeptWithoutDataStillHasAnnotationAndLabelMapsForJosdksEventHandler() {
    ItemStore<Secret> store = InformerStores.withoutData();
    Secret told = passwordSecret();
    store.put("pki/ks-pass", told);

    // the handlers are told of the object the store was given, which it transformed in place
    assertThat(told.getMetadata().getAnnotations()).isNotNull();
    assertThat(told.getMetadata().getAnnotations().get("javaoperatorsdk.io/previous")).isNull();
    assertThat(told.getMetadata().getLabels()).isNotNull();
  }
}
