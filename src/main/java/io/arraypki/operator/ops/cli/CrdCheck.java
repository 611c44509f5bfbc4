package io.arraypki.operator.ops.cli;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whether an installed CRD is the one this build generated: per version, served and storage, its
 * schema and its printer columns (what the API server enforces and kubectl shows). Pure.
 */
public final class CrdCheck {
  private CrdCheck() {}

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** The CRDs this build generated (crds/ in the jar). */
  public static final List<String> NAMES =
      List.of("clusterarrays.arraypki.io", "nodes.arraypki.io", "candidatemaps.arraypki.io");

  public enum Verdict {
    CURRENT,
    MISSING,
    DIFFERS
  }

  public record Result(String name, Verdict verdict, List<String> differences) {}

  public static CustomResourceDefinition bundled(String name) {
    String resource = "/META-INF/arraypki/crds/" + name + ".yaml";
    try (InputStream in = CrdCheck.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not in the jar");
      }
      return SERIALIZATION.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Result compare(CustomResourceDefinition expected, CustomResourceDefinition installed) {
    String name = expected.getMetadata().getName();
    if (installed == null) {
      return new Result(name, Verdict.MISSING, List.of("not installed"));
    }
    List<String> differences = new ArrayList<>();
    for (CustomResourceDefinitionVersion version : expected.getSpec().getVersions()) {
      var found = installed.getSpec().getVersions().stream()
          .filter(v -> v.getName().equals(version.getName())).findFirst();
      if (found.isEmpty()) {
        differences.add("version " + version.getName() + " is missing");
        continue;
      }
      var actual = found.get();
      if (!Objects.equals(version.getServed(), actual.getServed())
          || !Objects.equals(version.getStorage(), actual.getStorage())) {
        differences.add("version " + version.getName() + " is served/stored differently");
      }
      if (!json(version.getSchema()).equals(json(actual.getSchema()))) {
        differences.add("the schema of " + version.getName() + " differs");
      }
      if (!columns(version).equals(columns(actual))) {
        differences.add("the printer columns of " + version.getName() + " differ");
      }
      if (!json(version.getSubresources()).equals(json(actual.getSubresources()))) {
        differences.add("the subresources of " + version.getName() + " differ");
      }
    }
    return new Result(name, differences.isEmpty() ? Verdict.CURRENT : Verdict.DIFFERS, List.copyOf(differences));
  }

  /** The printer columns as the API server stores them: it drops a priority of 0 (omitempty). */
  private static com.fasterxml.jackson.databind.JsonNode columns(CustomResourceDefinitionVersion version) {
    var columns = version.getAdditionalPrinterColumns() == null ? List.<Object>of()
        : version.getAdditionalPrinterColumns().stream().map(column -> {
          var copy = SERIALIZATION.clone(column);
          if (copy.getPriority() != null && copy.getPriority() == 0) {
            copy.setPriority(null);
          }
          return (Object) copy;
        }).toList();
    return json(columns);
  }

  private static com.fasterxml.jackson.databind.JsonNode json(Object value) {
    return SERIALIZATION.convertValue(value, com.fasterxml.jackson.databind.JsonNode.class);
  }
}
