package io.arraypki.operator.ops.cli;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.TrustedCa;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.CertificateInspection;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.PkiException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.bouncycastle.cert.X509CRLHolder;

/**
 * What {@code kubectl arraypki inspect <node>} shows: every certificate the node's Secrets hold,
 * decoded, with the trusted CA that signed it and what that CA's CRL says. Built from objects the
 * command read once (pure); a private key is only checked against its certificate, never shown.
 */
public record NodeInspection(String namespace, String node, String array, String role, List<SecretReport> secrets,
    List<String> trustBundle) {

  public record SecretReport(String name, String component, Long signedByGeneration, List<CertificateInspection.Certificate> chain,
      String privateKey, List<String> trustBundle, List<String> otherKeys, String error) {}

  public static NodeInspection of(ArrayNode node, ClusterArray array, List<Secret> secrets, ConfigMap trust,
      Instant now) {
    Map<X509Certificate, String> trusted = new LinkedHashMap<>();
    List<X509CRLHolder> crls = new ArrayList<>();
    List<String> bundle = new ArrayList<>();
    List<TrustedCa> generations = array == null || array.getStatus() == null || array.getStatus().trustedCAs == null
        ? List.of() : array.getStatus().trustedCAs;
    if (trust != null && trust.getData() != null) {
      String caPem = trust.getData().get(SecretData.CA_CRT);
      if (caPem != null && !caPem.isBlank()) {
        for (X509Certificate ca : Pem.certificates(caPem, "the trust ConfigMap's ca.crt")) {
          String name = caName(ca, generations);
          trusted.put(ca, name);
          bundle.add(name);
        }
      }
      String crlPem = trust.getData().get(TrustConfigMaps.CRL_PEM);
      if (crlPem != null && !crlPem.isBlank()) {
        crls.addAll(Pem.crls(crlPem, "the trust ConfigMap's crl.pem"));
      }
    }
    List<SecretReport> reports = new ArrayList<>();
    for (Secret secret : secrets) {
      reports.add(report(secret, trusted, generations, crls, now));
    }
    var status = node.getStatus();
    return new NodeInspection(node.getMetadata().getNamespace(), node.getMetadata().getName(),
        node.getSpec() == null ? null : node.getSpec().array,
        status == null || status.role == null ? null : status.role.toString(), List.copyOf(reports),
        List.copyOf(bundle));
  }

  private static String caName(X509Certificate ca, List<TrustedCa> generations) {
    String fingerprint = Fingerprints.fingerprint(ca);
    return generations.stream().filter(g -> Objects.equals(g.fingerprint, fingerprint)).findFirst()
        .map(g -> "CA generation " + g.generation + " " + Fingerprints.shortForm(fingerprint))
        .orElse("CA " + Fingerprints.shortForm(fingerprint) + " (not in the array's trusted CAs)");
  }

  private static SecretReport report(Secret secret, Map<X509Certificate, String> trusted,
      List<TrustedCa> generations, List<X509CRLHolder> crls, Instant now) {
    var metadata = secret.getMetadata();
    Map<String, String> labels = metadata.getLabels() == null ? Map.of() : metadata.getLabels();
    Map<String, String> annotations = metadata.getAnnotations() == null ? Map.of() : metadata.getAnnotations();
    String component = labels.get(Labels.COMPONENT);
    Long generation = parseLong(annotations.get(Labels.SIGNED_BY_GENERATION));
    var keys = new TreeSet<>(secret.getData() == null ? java.util.Set.of() : secret.getData().keySet());
    keys.removeAll(List.of(SecretData.TLS_CRT, SecretData.TLS_KEY, SecretData.CA_CRT));
    try {
      String chain = SecretData.text(secret, SecretData.TLS_CRT).orElse(null);
      if (chain == null) {
        return new SecretReport(metadata.getName(), component, generation, List.of(), null, List.of(),
            List.copyOf(keys), "holds no tls.crt");
      }
      var certificates = CertificateInspection.inspect(chain, trusted, crls, now);
      String privateKey = SecretData.text(secret, SecretData.TLS_KEY)
          .map(pem -> CertificateInspection.keyMatch(pem, Pem.certificate(chain, "tls.crt")))
          .orElse("none here (the node keeps its key, or it is not issued yet)");
      List<String> bundle = SecretData.text(secret, SecretData.CA_CRT)
          .map(pem -> Pem.certificates(pem, "ca.crt").stream().map(ca -> caName(ca, generations)).toList())
          .orElse(List.of());
      return new SecretReport(metadata.getName(), component, generation, certificates, privateKey, bundle,
          List.copyOf(keys), null);
    } catch (PkiException e) {
      return new SecretReport(metadata.getName(), component, generation, List.of(), null, List.of(),
          List.copyOf(keys), e.getMessage());
    }
  }

  private static Long parseLong(String text) {
    try {
      return text == null ? null : Long.valueOf(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public String render() {
    var out = new StringBuilder();
    out.append("Node ").append(namespace).append('/').append(node).append(": array ")
        .append(ArrayStatusReport.orDash(array)).append(", role ").append(ArrayStatusReport.orDash(role)).append('\n');
    out.append("Array trust bundle: ").append(trustBundle.isEmpty() ? "-" : String.join("; ", trustBundle)).append('\n');
    if (secrets.isEmpty()) {
      out.append("\nNo Secrets issued to this node yet.\n");
    }
    for (SecretReport secret : secrets) {
      out.append("\nSecret ").append(secret.name()).append(" (").append(ArrayStatusReport.orDash(secret.component()))
          .append(secret.signedByGeneration() == null ? "" : ", signed by CA generation " + secret.signedByGeneration())
          .append(")\n");
      if (secret.error() != null) {
        out.append("  ").append(secret.error()).append('\n');
        continue;
      }
      int index = 0;
      for (var certificate : secret.chain()) {
        out.append(index == 0 ? "  certificate: " : "  chain[" + index + "]:     ").append(certificate.subject())
            .append(certificate.ca() ? " (a CA)" : "").append('\n');
        line(out, "issuer", certificate.issuer());
        line(out, "serial", certificate.serialNumber());
        line(out, "valid", certificate.notBefore() + " to " + certificate.notAfter());
        if (!certificate.names().isEmpty()) {
          line(out, "names", String.join(", ", certificate.names()));
        }
        line(out, "key", certificate.key());
        if (!certificate.extendedKeyUsages().isEmpty()) {
          line(out, "usages", String.join(", ", certificate.extendedKeyUsages()));
        }
        line(out, "sha256", certificate.fingerprint());
        line(out, "signed by", certificate.signedBy());
        line(out, "CRL", certificate.revocation());
        index++;
      }
      line(out, "tls.key", secret.privateKey());
      if (!secret.trustBundle().isEmpty()) {
        line(out, "ca.crt", String.join("; ", secret.trustBundle()));
      }
      if (!secret.otherKeys().isEmpty()) {
        line(out, "also", String.join(", ", secret.otherKeys()));
      }
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String label, String value) {
    out.append(String.format("    %-10s %s%n", label, value));
  }
}
