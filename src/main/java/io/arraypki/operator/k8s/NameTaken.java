package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;

/**
 * An object the operator would write has a name some other owner's object already holds (an
 * array {@code x-standalone} and a standalone node {@code x} both want {@code x-standalone-ca}),
 * or a user's own. The operator never adopts, overwrites or deletes it; the resource that wanted
 * the name says so in a condition.
 */
public final class NameTaken extends RuntimeException {
  public NameTaken(HasMetadata existing, HasMetadata wantedBy) {
    super(existing.getKind() + " " + existing.getMetadata().getName() + " belongs to " + holder(existing)
        + ", not to " + wantedBy.getKind() + " " + wantedBy.getMetadata().getName()
        + "; rename one of them (nothing is written over it)");
  }

  private static String holder(HasMetadata existing) {
    if (existing.getMetadata().getOwnerReferences() == null) {
      return "no owner the operator knows";
    }
    return existing.getMetadata().getOwnerReferences().stream()
        .filter(r -> Boolean.TRUE.equals(r.getController()))
        .map(NameTaken::describe)
        .findFirst().orElse("no owner the operator knows");
  }

  private static String describe(OwnerReference owner) {
    return owner.getKind() + " " + owner.getName();
  }
}
