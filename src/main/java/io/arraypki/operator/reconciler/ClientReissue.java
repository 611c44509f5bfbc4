package io.arraypki.operator.reconciler;

import io.arraypki.operator.k8s.certmanager.CertificateRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How a CA rotation reaches the array's cert-manager clients: cert-manager re-issues a
 * Certificate only when it nears its end or its spec changes, never because the issuer's CA
 * changed. So the array asks it to (the {@code Issuing=True} condition {@code cmctl renew}
 * writes) for each Certificate whose latest request it signed is behind: signed by a CA
 * generation that no longer signs, or issued before a CA now trusted was (its ca.crt lacks it).
 * Pure.
 */
final class ClientReissue {
  private ClientReissue() {}

  /** A cert-manager Certificate to re-issue, and why. */
  record Request(String certificate, String why) {}

  static List<Request> due(List<CertificateRequest> signed, long active, List<Long> trusted) {
    Map<String, CertificateRequest> latest = new TreeMap<>();
    for (CertificateRequest request : signed) {
      String certificate = EventSources.annotation(request, CertificateRequest.CERTIFICATE_NAME);
      if (certificate != null) {
        latest.merge(certificate, request, (a, b) -> CertificateRequestSigner.revision(a)
            >= CertificateRequestSigner.revision(b) ? a : b);
      }
    }
    List<Request> due = new ArrayList<>();
    latest.forEach((certificate, request) -> {
      List<Long> signedByList = generations(EventSources.annotation(request,
          CertificateRequestSigner.CA_GENERATION));
      if (signedByList.size() != 1) {
        return; // an annotation someone edited: nothing to go by
      }
      long signedBy = signedByList.get(0);
      List<Long> trustedThen = generations(EventSources.annotation(request,
          CertificateRequestSigner.TRUSTED_GENERATIONS));
      List<Long> missing = trusted.stream().filter(g -> !trustedThen.contains(g)).sorted(Comparator.naturalOrder())
          .toList();
      if (signedBy != active) {
        due.add(new Request(certificate, "CA generation " + active + " signs now; its certificate is of generation "
            + signedBy));
      } else if (!missing.isEmpty()) {
        due.add(new Request(certificate, "its ca.crt lacks CA generation(s) "
            + missing.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ", trusted now"));
      }
    });
    return due;
  }

  private static List<Long> generations(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    try {
      return Arrays.stream(text.split(",")).map(String::trim).map(Long::parseLong).toList();
    } catch (NumberFormatException e) {
      return List.of();
    }
  }
}
