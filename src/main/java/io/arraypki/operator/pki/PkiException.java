package io.arraypki.operator.pki;

/** Bad certificate material or a request that cannot be met; the message is safe to show. */
public class PkiException extends RuntimeException {
  public PkiException(String message) {
    super(message);
  }

  public PkiException(String message, Throwable cause) {
    super(message, cause);
  }
}
