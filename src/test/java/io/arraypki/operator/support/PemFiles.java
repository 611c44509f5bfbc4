package io.arraypki.operator.support;

import io.arraypki.operator.k8s.SecretData;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the certificates of a Secret to files, for openssl. Never the key. */
public final class PemFiles {
  private PemFiles() {}

  public static Path write(Path dir, String fileName, Secret secret, String key) {
    try {
      return Files.writeString(dir.resolve(fileName), SecretData.text(secret, key).orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
