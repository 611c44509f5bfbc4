package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/** Metadata every object the operator creates carries (DESIGN.md section 2). */
public final class ManagedObjects {
  private ManagedObjects() {}

  /**
   * Metadata with the managed-by, array, node and component labels, the secretTemplate's labels
   * and annotations under ours, and a controller owner reference to {@code owner}.
   */
  public static ObjectMeta metadata(
      String name,
      HasMetadata owner,
      String array,
      String node,
      String component,
      Map<String, String> extraLabels,
      Map<String, String> annotations) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (extraLabels != null) {
      labels.putAll(extraLabels);
    }
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    labels.put(Labels.ARRAY, array == null ? "" : array);
    if (node != null) {
      labels.put(Labels.NODE, node);
    }
    labels.put(Labels.COMPONENT, component);
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(owner.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(annotations == null ? Map.of() : new LinkedHashMap<>(annotations))
        .withOwnerReferences(ownerReference(owner))
        .build();
  }

  public static OwnerReference ownerReference(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /**
   * Whether {@code object} was made for the same owner as {@code desired}: its controller
   * reference has the uid of {@code desired}'s (objects written without an owner are not
   * checked). A name alone never makes an object ours.
   */
  public static boolean sameController(HasMetadata object, HasMetadata desired) {
    return controllerUid(desired) == null
        || controllerUid(object) != null && controllerUid(object).equals(controllerUid(desired));
  }

  /** Whether {@code owner} is {@code object}'s controller. */
  public static boolean controlledBy(HasMetadata object, HasMetadata owner) {
    return owner.getMetadata().getUid() != null && owner.getMetadata().getUid().equals(controllerUid(object));
  }

  private static String controllerUid(HasMetadata object) {
    if (object.getMetadata().getOwnerReferences() == null) {
      return null;
    }
    return object.getMetadata().getOwnerReferences().stream()
        .filter(r -> Boolean.TRUE.equals(r.getController())).map(OwnerReference::getUid)
        .findFirst().orElse(null);
  }

  /** The owner {@code desired} names, as a resource to report against. */
  static HasMetadata wantedBy(HasMetadata desired) {
    OwnerReference owner = desired.getMetadata().getOwnerReferences() == null ? null
        : desired.getMetadata().getOwnerReferences().stream().findFirst().orElse(null);
    io.fabric8.kubernetes.api.model.GenericKubernetesResource who =
        new io.fabric8.kubernetes.api.model.GenericKubernetesResource();
    who.setKind(owner == null ? desired.getKind() : owner.getKind());
    who.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
        .withName(owner == null ? desired.getMetadata().getName() : owner.getName()).build());
    return who;
  }

  /** Whether {@code actual} already carries every label, annotation and owner of {@code desired}. */
  public static boolean metadataCovers(ObjectMeta actual, ObjectMeta desired) {
    return containsAll(actual.getLabels(), desired.getLabels())
        && containsAll(actual.getAnnotations(), desired.getAnnotations())
        && actual.getOwnerReferences() != null
        && desired.getOwnerReferences().stream()
            .allMatch(
                d ->
                    actual.getOwnerReferences().stream()
                        .anyMatch(a -> d.getUid().equals(a.getUid())));
  }

  private static boolean containsAll(Map<String, String> actual, Map<String, String> desired) {
    if (desired == null || desired.isEmpty()) {
      return true;
    }
    if (actual == null) {
      return false;
    }
    return desired.entrySet().stream()
        .allMatch(e -> e.getValue().equals(actual.get(e.getKey())));
  }
}
