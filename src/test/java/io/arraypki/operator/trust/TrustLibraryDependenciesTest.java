package io.arraypki.operator.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The member library runs in daemons that do not ship a Kubernetes client: nothing in trust/
 * may use fabric8 or the operator SDK (its Lease goes over the JDK's own HTTP client).
 */
class TrustLibraryDependenciesTest {
  @Test
  void noSourceOfTheMemberLibraryUsesAKubernetesClient() throws IOException {
    Path library = Commands.projectDir().resolve("src/main/java/io/arraypki/operator/trust");
    List<Path> sources;
    try (Stream<Path> files = Files.list(library)) {
      sources = files.filter(f -> f.toString().endsWith(".java")).toList();
    }
    assertThat(sources).extracting(f -> f.getFileName().toString())
        .contains("TrustConfirmations.java", "KubernetesLease.java", "ConfirmSidecar.java");
    for (Path source : sources) {
      assertThat(Files.readString(source)).as(source.getFileName().toString())
          .doesNotContain("io.fabric8").doesNotContain("io.javaoperatorsdk");
    }
  }
}
