package io.arraypki.operator.trust;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/** An SSLContext for an array member, over its mounted Secret and the array's trust ConfigMap. */
public final class MemberTls {
  private MemberTls() {}

  /**
   * @param tlsDirectory where the member's Secret is mounted (tls.crt, tls.key)
   * @param trustDirectory where the trust ConfigMap (or the Secret's ca.crt) is mounted
   * @param privileged whether clients must be in the candidate map
   */
  public static SSLContext sslContext(Path tlsDirectory, Path trustDirectory, boolean privileged) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {new MemberKeyManager(tlsDirectory)},
          new TrustManager[] {new MemberTrustManager(trustDirectory, privileged)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the member's TLS context", e);
    }
  }
}
