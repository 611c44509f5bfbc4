package io.arraypki.operator.k8s;

/** Labels and annotations of the contract (DESIGN.md sections 1, 2 and 6). */
public final class Labels {
  private Labels() {}

  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "arraypki-operator";
  /** The selector of every informer on Secrets and ConfigMaps: only what the operator made. */
  public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + OPERATOR;

  public static final String ARRAY = "arraypki.io/array";
  public static final String NODE = "arraypki.io/node";
  public static final String COMPONENT = "arraypki.io/component";

  public static final String COMPONENT_CA = "ca";
  public static final String COMPONENT_PEER = "peer";
  public static final String COMPONENT_CLIENT = "client";
  public static final String COMPONENT_SERVICE = "service";
  public static final String COMPONENT_SSH = "ssh";
  public static final String COMPONENT_TRUST = "trust";
  public static final String COMPONENT_LEDGER = "revocation-ledger";
  public static final String COMPONENT_ACCESS = "access";
  public static final String COMPONENT_TRUST_LEASE = "trust-confirmation";

  /** On a CA Secret: its generation. */
  public static final String CA_GENERATION = "arraypki.io/ca-generation";
  /** On an issued Secret: the generation of the CA that signed its certificate. */
  public static final String SIGNED_BY_GENERATION = "arraypki.io/signed-by-generation";
  /**
   * On a member's Secret: the uid of the Node it was issued to. The array owns the Secret, so it
   * outlives a deleted Node; a Node created again under that name is another machine, and must
   * neither take the old key nor keep it from being revoked.
   */
  public static final String NODE_UID = "arraypki.io/node-uid";
  /** On an issued Secret: the newest CA generation in the bundle it holds. */
  public static final String TRUST_GENERATION = "arraypki.io/trust-generation";

  /** On a CA generation Secret: the primary it was made for, and why. */
  public static final String CA_PRIMARY = "arraypki.io/primary";
  public static final String CA_REASON = "arraypki.io/rotation-reason";
  /** On an issued Secret: certificates it superseded that still need revoking. */
  public static final String SUPERSEDED = "arraypki.io/superseded";
  /** On an issued Secret: the renew tokens its certificate has answered. */
  public static final String RENEWAL_TOKEN = "arraypki.io/renewal-token";
  public static final String ARRAY_RENEWAL_TOKEN = "arraypki.io/array-renewal-token";
  /**
   * On an issued Secret: the damage (CertificateUnreadable, KeyMismatch) its certificate was
   * issued to repair, written with that certificate, so the Node's condition can say "Repaired"
   * however often it is computed again.
   */
  public static final String REPAIRED_DAMAGE = "arraypki.io/repaired-damage";

  /** Imperative renewals, acted on once per new value. */
  public static final String RENEW_CA = "arraypki.io/renew-ca";
  public static final String RENEW_CERTIFICATES = "arraypki.io/renew-certificates";
  public static final String RENEW = "arraypki.io/renew";
}
