package io.arraypki.operator.support;

import io.arraypki.operator.k8s.SecretData;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** openssl verify -crl_check of a leaf against an array's published bundle and CRLs. */
public final class Crl {
  private Crl() {}

  /** openssl's verdict: ": OK" or the reason (such as "certificate revoked"). */
  public static String verify(Path dir, ConfigMap trust, String leafPem) {
    try {
      Path ca = Files.writeString(dir.resolve("bundle.crt"), trust.getData().get("ca.crt"));
      Path crl = Files.writeString(dir.resolve("crl.pem"), trust.getData().get("crl.pem"));
      Path leaf = Files.writeString(dir.resolve("leaf.crt"), leafPem);
      return Commands.openssl("verify", "-crl_check", "-CRLfile", crl.toString(), "-CAfile", ca.toString(),
          leaf.toString()).output();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String leafPem(Secret secret) {
    return SecretData.text(secret, "tls.crt").orElseThrow();
  }
}
