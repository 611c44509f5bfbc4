package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/** Keys of TLS Secrets (as cert-manager writes them) and base64 in and out. */
public final class SecretData {
  public static final String TLS_CRT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String CA_CRT = "ca.crt";

  private SecretData() {}

  public static Optional<String> text(Secret secret, String key) {
    if (secret == null) {
      return Optional.empty();
    }
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      try {
        return Optional.of(new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    Map<String, String> stringData = secret.getStringData();
    return stringData == null ? Optional.empty() : Optional.ofNullable(stringData.get(key));
  }

  public static String encode(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  public static String encode(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
