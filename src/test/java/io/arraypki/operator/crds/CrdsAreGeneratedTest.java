package io.arraypki.operator.crds;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** crds/ is generated from the api/ classes and never edited by hand. */
class CrdsAreGeneratedTest {
  @TempDir Path generated;

  @Test
  void committedCrdsAreExactlyWhatTheApiClassesGenerate() throws IOException {
    GenerateCrds.generate(generated);
    Path committed = Commands.projectDir().resolve("crds");
    try (Stream<Path> files = Files.list(generated)) {
      for (Path file : files.toList()) {
        Path mine = committed.resolve(file.getFileName());
        assertThat(mine).as("crds/%s exists (run ./mvnw -B -Pupdate-crds process-test-classes)", file.getFileName())
            .exists();
        assertThat(Files.readString(mine))
            .as("crds/%s is stale: run ./mvnw -B -Pupdate-crds process-test-classes", file.getFileName())
            .isEqualTo(Files.readString(file));
      }
    }
    try (Stream<Path> files = Files.list(committed)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("clusterarrays.arraypki.io.yaml", "nodes.arraypki.io.yaml",
              "candidatemaps.arraypki.io.yaml");
    }
  }
}
