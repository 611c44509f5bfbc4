package io.arraypki.operator.k8s;

/** Names of the objects the operator writes (DESIGN.md section 2). */
public final class Names {
  private Names() {}

  /** The alias of the CA that signs now, the Secret the primary's workload mounts. */
  public static String caSecret(String array) {
    return array + "-ca";
  }

  /** One immutable Secret per CA generation, created with create-only semantics. */
  public static String caGenerationSecret(String array, long generation) {
    return array + "-ca-g" + generation;
  }

  public static String trustConfigMap(String array) {
    return array + "-trust";
  }

  /** The kept copy of the revocation ledger (the published one is in the trust ConfigMap). */
  public static String revocationLedgerSecret(String array) {
    return array + "-revocations";
  }

  public static String peerSecret(String node) {
    return node + "-peer-tls";
  }

  public static String clientSecret(String node) {
    return node + "-client-tls";
  }

  public static String sshSecret(String node) {
    return node + "-ssh";
  }

  public static String standaloneCaSecret(String node) {
    return node + "-standalone-ca";
  }

  public static String serviceSecret(String array) {
    return array + "-service-tls";
  }

  /** The Lease on which a member confirms what it has loaded (DESIGN.md section 6). */
  public static String trustLease(String node) {
    return node + "-trust";
  }
}
