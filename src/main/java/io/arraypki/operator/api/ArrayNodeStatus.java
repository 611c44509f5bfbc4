package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed and issued for a node. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ArrayNodeStatus {
  public Long observedGeneration;
  public NodeRole role;
  /** The CA that signed the current peer certificate. */
  @JsonProperty("caFingerprint")
  public String caFingerprint;
  @JsonProperty("caShortFingerprint")
  public String caShortFingerprint;
  public CertificateStatus peerCertificate;
  public CertificateStatus clientCertificate;
  public JoinedArray joinedArray;
  /** What the member confirmed it has loaded (only for a node with a serviceAccountName). */
  public TrustConfirmationStatus trust;
  /** The {@code arraypki.io/renew} value acted on last. */
  public String lastHandledRenewal;
  /** Ready, Joined, TrustVerified, CertificateIssued. */
  public List<Condition> conditions = new ArrayList<>();
}
