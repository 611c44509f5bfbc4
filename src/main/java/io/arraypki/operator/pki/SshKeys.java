package io.arraypki.operator.pki;

import java.io.IOException;
import java.security.KeyPair;
import java.util.Base64;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.util.io.pem.PemObject;

/** Ed25519 SSH key pairs in OpenSSH's own formats. */
public final class SshKeys {
  private SshKeys() {}

  /** The private key ("OPENSSH PRIVATE KEY") and the authorized_keys line, with a comment. */
  public record SshKeyPair(String privateKey, String publicKey) {}

  public static SshKeyPair generate(String comment) {
    KeyPair keys = KeyPairs.generate(new KeySpec(KeySpec.Algorithm.ED25519, 0));
    try {
      AsymmetricKeyParameter privateParams = PrivateKeyFactory.createKey(keys.getPrivate().getEncoded());
      AsymmetricKeyParameter publicParams = PublicKeyFactory.createKey(keys.getPublic().getEncoded());
      String privatePem = Pem.encode(new PemObject("OPENSSH PRIVATE KEY",
          OpenSSHPrivateKeyUtil.encodePrivateKey(privateParams)));
      String publicLine = "ssh-ed25519 "
          + Base64.getEncoder().encodeToString(OpenSSHPublicKeyUtil.encodePublicKey(publicParams))
          + " " + comment + "\n";
      return new SshKeyPair(privatePem, publicLine);
    } catch (IOException e) {
      throw new PkiException("cannot encode an SSH key pair", e);
    }
  }
}
