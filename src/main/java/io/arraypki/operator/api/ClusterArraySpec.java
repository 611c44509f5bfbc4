package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The desired PKI of an array. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ClusterArraySpec {
  @JsonPropertyDescription("The Node (in this namespace and array) that acts as the array's CA.")
  @Required
  @Size(min = 1, max = 253)
  @Pattern(Validation.OBJECT_NAME)
  public String primary;

  public CaSpec ca;
  public PeerCertificatesSpec peerCertificates;
  public ClientCertificatesSpec clientCertificates;
  public CandidatesSpec candidates;
  public SshKeysSpec sshKeys;
  public ServiceCertificateSpec serviceCertificate;
  public RotationSpec rotation;
  @JsonPropertyDescription("When time-based renewals may happen: maintenance windows and a bound on renewals at once.")
  public RenewalSpec renewal;
  @JsonPropertyDescription("The array as a cert-manager issuer for its clients' certificates.")
  public CertificateRequestsSpec certificateRequests;
  public KeystoresSpec keystores;
  public SecretTemplate secretTemplate;
}
