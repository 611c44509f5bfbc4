package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which CertificateSigningRequests an operator's signer takes, given WATCH_NAMESPACES. */
class CsrSignerScopeTest {
  private static CertificateSigningRequest forSigner(String signerName) {
    return new CertificateSigningRequestBuilder().withNewMetadata().withName("csr").endMetadata()
        .withNewSpec().withSignerName(signerName).endSpec().build();
  }

  @Test
  void anOperatorWatchingSomeNamespacesSignsOnlyForArraysInThem() {
    Set<String> watched = Set.of("pki", "pki-staging");
    assertThat(CsrSigner.ours(forSigner("clusterarrays.arraypki.io/pki.sgd"), watched)).isTrue();
    assertThat(CsrSigner.ours(forSigner("clusterarrays.arraypki.io/pki-staging.sgd"), watched)).isTrue();
    assertThat(CsrSigner.ours(forSigner("clusterarrays.arraypki.io/other.sgd"), watched))
        .as("an array of another install's namespace").isFalse();
    assertThat(CsrSigner.ours(forSigner("clusterarrays.arraypki.io/pki"), watched))
        .as("no array named").isFalse();
  }

  @Test
  void anOperatorWatchingAllNamespacesSignsForEveryArrayButNeverForAnotherSigner() {
    assertThat(CsrSigner.ours(forSigner("clusterarrays.arraypki.io/anywhere.sgd"), Set.of())).isTrue();
    assertThat(CsrSigner.ours(forSigner("kubernetes.io/kube-apiserver-client"), Set.of())).isFalse();
    assertThat(CsrSigner.ours(forSigner("kubernetes.io/kube-apiserver-client"), Set.of("pki"))).isFalse();
  }
}
