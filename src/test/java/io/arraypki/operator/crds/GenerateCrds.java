package io.arraypki.operator.crds;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Generates the CRDs of the three kinds from the api/ classes, as {@code <plural>.<group>.yaml}.
 *
 * <p>Run by the build (process-test-classes) into target/crds; {@code -Pupdate-crds} copies them
 * into crds/. The post-processor keeps the printer columns in the order the classes declare them
 * (Fabric8 sorts them by JSON path, which would put Age first in {@code kubectl get}).
 */
public final class GenerateCrds {
  static final List<Class<? extends HasMetadata>> KINDS =
      List.of(ClusterArray.class, ArrayNode.class, CandidateMap.class);

  private GenerateCrds() {}

  /** Held: the JDK keeps loggers weakly, and a collected one forgets its level. */
  private static final java.util.logging.Logger GENERATOR_LOG = java.util.logging.Logger.getLogger("io.fabric8.crdv2");

  public static void main(String[] args) throws IOException {
    // it runs in Maven's JVM, whose JDK logging would print a line per CRD at INFO
    GENERATOR_LOG.setLevel(java.util.logging.Level.WARNING);
    Path out = Path.of(args[0]);
    generate(out);
  }

  static void generate(Path out) throws IOException {
    Files.createDirectories(out);
    try (Stream<Path> old = Files.list(out)) {
      for (Path p : old.toList()) {
        Files.delete(p);
      }
    }
    new CRDGenerator()
        .customResourceClasses(KINDS)
        .forCRDVersions("v1")
        .withPostProcessor(new DeclaredColumnOrder())
        .inOutputDir(out.toFile())
        .generate();
    // Kubernetes manifests conventionally end in .yaml; Fabric8 writes <name>-v1.yml.
    try (Stream<Path> generated = Files.list(out)) {
      for (Path p : generated.toList()) {
        String name = p.getFileName().toString().replace("-v1.yml", ".yaml");
        Files.move(p, p.resolveSibling(name));
      }
    }
  }

  /** Orders printer columns as the @AdditionalPrinterColumn annotations are declared. */
  private static final class DeclaredColumnOrder implements CRDPostProcessor {
    private final Map<String, Class<? extends HasMetadata>> byKind =
        KINDS.stream().collect(Collectors.toMap(HasMetadata::getKind, Function.identity()));

    @Override
    public HasMetadata process(HasMetadata resource, String crdSpecVersion) {
      CustomResourceDefinition crd = (CustomResourceDefinition) resource;
      Class<? extends HasMetadata> type = byKind.get(crd.getSpec().getNames().getKind());
      List<String> declared =
          Arrays.stream(type.getAnnotationsByType(AdditionalPrinterColumn.class))
              .map(AdditionalPrinterColumn::name)
              .toList();
      crd.getSpec()
          .getVersions()
          .forEach(
              v ->
                  v.getAdditionalPrinterColumns()
                      .sort(
                          Comparator.comparingInt(
                              (CustomResourceColumnDefinition c) -> declared.indexOf(c.getName()))));
      return crd;
    }
  }

}
