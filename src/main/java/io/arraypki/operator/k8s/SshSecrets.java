package io.arraypki.operator.k8s;

import io.arraypki.operator.pki.SshKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/** A candidate's SSH key pair: {@code <node>-ssh} with id_ed25519 and id_ed25519.pub. */
public final class SshSecrets {
  public static final String PRIVATE_KEY = "id_ed25519";
  public static final String PUBLIC_KEY = "id_ed25519.pub";

  private SshSecrets() {}

  /** Owned by the array, as every member's issued Secret is (it revokes and removes them). */
  public static Secret secret(HasMetadata array, HasMetadata node, SshKeys.SshKeyPair keys) {
    String name = node.getMetadata().getName();
    Map<String, String> data = new LinkedHashMap<>();
    data.put(PRIVATE_KEY, SecretData.encode(keys.privateKey()));
    data.put(PUBLIC_KEY, SecretData.encode(keys.publicKey()));
    return new SecretBuilder()
        .withMetadata(ManagedObjects.metadata(Names.sshSecret(name), array, array.getMetadata().getName(), name, Labels.COMPONENT_SSH,
            Map.of(), node.getMetadata().getUid() == null ? Map.of() : Map.of(Labels.NODE_UID, node.getMetadata().getUid())))
        .withType("Opaque")
        .withData(data)
        .build();
  }
}
