package io.arraypki.operator.k8s.certmanager;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * cert-manager's {@code cert-manager.io/v1 CertificateRequest}, the fields an external issuer reads
 * and writes (cert-manager's CRD defines it; the operator never installs it). {@code request},
 * {@code certificate} and {@code ca} are base64 of PEM, as the CRD's {@code format: byte} says.
 */
@Group("cert-manager.io")
@Version("v1")
@Kind("CertificateRequest")
@JsonIgnoreProperties(ignoreUnknown = true)
public class CertificateRequest extends CustomResource<CertificateRequest.Spec, CertificateRequest.Status>
    implements Namespaced {

  /** The annotations cert-manager's certificates controller puts on the requests it makes. */
  public static final String CERTIFICATE_NAME = "cert-manager.io/certificate-name";
  public static final String CERTIFICATE_REVISION = "cert-manager.io/certificate-revision";

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class Spec {
    public String request;
    public Boolean isCA;
    public List<String> usages;
    public String duration;
    public IssuerRef issuerRef;
    public String username;
    public String uid;
    public List<String> groups;
    public Map<String, List<String>> extra;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class IssuerRef {
    public String name;
    public String kind;
    public String group;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class Status {
    public List<Condition> conditions = new ArrayList<>();
    public String certificate;
    public String ca;
    public String failureTime;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class Condition {
    public String type;
    public String status;
    public String reason;
    public String message;
    public String lastTransitionTime;
    public Long observedGeneration;

    public Condition() {}

    public Condition(String type, String status, String reason, String message, String lastTransitionTime) {
      this.type = type;
      this.status = status;
      this.reason = reason;
      this.message = message;
      this.lastTransitionTime = lastTransitionTime;
    }
  }

  /** Whether a condition of this type has status True. */
  public boolean hasTrue(String type) {
    return getStatus() != null && getStatus().conditions != null
        && getStatus().conditions.stream().anyMatch(c -> type.equals(c.type) && "True".equals(c.status));
  }

  /** The reason of the Ready condition, or null. */
  public String readyReason() {
    return getStatus() == null || getStatus().conditions == null ? null
        : getStatus().conditions.stream().filter(c -> "Ready".equals(c.type)).map(c -> c.reason).findFirst()
            .orElse(null);
  }

  public boolean signed() {
    return getStatus() != null && getStatus().certificate != null && !getStatus().certificate.isEmpty();
  }

  /** Whether its issuerRef names a ClusterArray (of any name). */
  public boolean forAnArray() {
    IssuerRef ref = getSpec() == null ? null : getSpec().issuerRef;
    return ref != null && "arraypki.io".equals(ref.group) && "ClusterArray".equals(ref.kind) && ref.name != null;
  }

  /** The array it names, or null. */
  public String arrayName() {
    return forAnArray() ? getSpec().issuerRef.name : null;
  }
}
