package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.pki.ClientRequestPolicy.Decision;
import io.arraypki.operator.pki.ClientRequestPolicy.Reason;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

/** Which client requests (cert-manager CertificateRequests) an array signs, and how. */
class ClientRequestPolicyTest {
  private static final ClientRequestPolicy.Policy POLICY = new ClientRequestPolicy.Policy(
      List.of("*.clients.example.com", "billing.example.com"), List.of("10.20.0.0/16", "fd00::/8"),
      List.of("spiffe://example.org/ns/apps/"), Set.of(Usage.CLIENT_AUTH), Duration.ofHours(2160));
  private static final KeyPair EC = KeyPairs.generate(KeySpec.ECDSA_P256);

  /** A CSR as cert-manager's certificates controller makes one: subject CN (optional) and SANs. */
  private static CsrPolicy.Request csr(KeyPair keys, String cn, boolean ca, GeneralName... names) throws Exception {
    var builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(cn.isEmpty() ? "" : "CN=" + cn),
        keys.getPublic());
    ExtensionsGenerator extensions = new ExtensionsGenerator();
    if (names.length > 0) {
      extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    }
    if (ca) {
      extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    }
    if (!extensions.isEmpty()) {
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
    }
    String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    var request = builder.build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate()));
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
      writer.writeObject(request);
    }
    return CsrPolicy.parse(pem.toString());
  }

  private static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  private static Decision decide(CsrPolicy.Request request, List<String> usages) {
    return ClientRequestPolicy.decide(request, false, usages, Optional.empty(), Duration.ofHours(720), POLICY);
  }

  @Test
  void aClientWithinTheListsIsSignedForClientAuthOnlyWhenItAsksForNoExtendedUsage() throws Exception {
    var request = csr(EC, "app-1.clients.example.com", false, dns("app-1.clients.example.com"),
        new GeneralName(GeneralName.iPAddress, "10.20.3.4"),
        new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://example.org/ns/apps/sa/app-1"));

    Decision decision = decide(request, List.of("digital signature", "key encipherment"));

    assertThat(decision).isEqualTo(new Decision.Sign("app-1.clients.example.com",
        List.of("app-1.clients.example.com"), List.of("10.20.3.4"), List.of("spiffe://example.org/ns/apps/sa/app-1"),
        Set.of(Usage.CLIENT_AUTH), Duration.ofHours(720)));
  }

  @Test
  void aRequestWithoutACommonNameIsSignedForItsSans() throws Exception {
    assertThat(decide(csr(EC, "", false, dns("billing.example.com")), List.of("client auth")))
        .isInstanceOfSatisfying(Decision.Sign.class, s -> assertThat(s.commonName()).isEmpty());
  }

  @Test
  void namesOutsideTheListsAreRefusedNamingTheListThatRefusedThem() throws Exception {
    assertThat(decide(csr(EC, "", false, dns("a.b.clients.example.com")), List.of()))
        .isEqualTo(new Decision.Refuse(Reason.NamesNotAllowed, "DNS name a.b.clients.example.com is not allowed by"
            + " spec.certificateRequests.dnsNames [*.clients.example.com, billing.example.com]"));
    assertThat(decide(csr(EC, "root.example.com", false), List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.message()).startsWith("common name"));
    assertThat(decide(csr(EC, "", false, new GeneralName(GeneralName.iPAddress, "10.21.0.1")), List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.message()).contains("ipRanges"));
    assertThat(decide(csr(EC, "", false, new GeneralName(GeneralName.uniformResourceIdentifier,
        "spiffe://example.org/ns/other/sa/x")), List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.message()).contains("uriPrefixes"));
    assertThat(decide(csr(EC, "", false, new GeneralName(GeneralName.rfc822Name, "ops@example.com")), List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.reason()).isEqualTo(Reason.NamesNotAllowed));
    assertThat(decide(csr(EC, "", false), List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.message()).contains("names nobody"));
  }

  @Test
  void aCaIsNeverSignedHoweverItIsAskedFor() throws Exception {
    var plain = csr(EC, "", false, dns("billing.example.com"));
    assertThat(ClientRequestPolicy.decide(plain, true, List.of(), Optional.empty(), Duration.ofHours(1), POLICY))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.reason()).isEqualTo(Reason.CARequested));
    assertThat(decide(plain, List.of("cert sign")))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.reason()).isEqualTo(Reason.CARequested));
    assertThat(decide(csr(EC, "", true, dns("billing.example.com")), List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.reason()).isEqualTo(Reason.CARequested));
  }

  @Test
  void usagesBeyondThePolicyAreRefusedAndServerAuthOnlyWhenAllowed() throws Exception {
    var request = csr(EC, "", false, dns("billing.example.com"));
    assertThat(decide(request, List.of("server auth")))
        .isEqualTo(new Decision.Refuse(Reason.UsagesNotAllowed,
            "usage 'server auth' is not allowed by spec.certificateRequests.usages [client auth]"));
    assertThat(decide(request, List.of("code signing")))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.reason()).isEqualTo(Reason.UsagesNotAllowed));
    var both = new ClientRequestPolicy.Policy(POLICY.dnsNames(), List.of(), List.of(),
        Set.of(Usage.CLIENT_AUTH, Usage.SERVER_AUTH), POLICY.maxDuration());
    assertThat(ClientRequestPolicy.decide(request, false, List.of("server auth", "client auth"), Optional.empty(),
        Duration.ofHours(1), both)).isInstanceOfSatisfying(Decision.Sign.class,
            s -> assertThat(s.usages()).containsExactlyInAnyOrder(Usage.CLIENT_AUTH, Usage.SERVER_AUTH));
  }

  @Test
  void weakKeysAndForgedSignaturesAreRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    assertThat(decide(csr(rsa.generateKeyPair(), "", false, dns("billing.example.com")), List.of()))
        .isEqualTo(new Decision.Refuse(Reason.WeakKey, "RSA keys must have size 2048, 3072 or 4096, not 1024"));
    var genuine = csr(EC, "", false, dns("billing.example.com"));
    var forged = new CsrPolicy.Request(genuine.commonName(), genuine.dnsNames(), genuine.ipAddresses(),
        genuine.uris(), KeyPairs.generate(KeySpec.ECDSA_P256).getPublic(), false, false);
    assertThat(decide(forged, List.of()))
        .isInstanceOfSatisfying(Decision.Refuse.class, r -> assertThat(r.reason()).isEqualTo(Reason.BadSignature));
  }

  @Test
  void aLongerLifetimeIsCutToTheMaximumAndNoneAskedGetsTheDefault() throws Exception {
    var request = csr(EC, "", false, dns("billing.example.com"));
    assertThat(ClientRequestPolicy.decide(request, false, List.of(), Optional.of(Duration.ofDays(3650)),
        Duration.ofHours(720), POLICY)).isInstanceOfSatisfying(Decision.Sign.class,
            s -> assertThat(s.duration()).isEqualTo(Duration.ofHours(2160)));
    assertThat(ClientRequestPolicy.decide(request, false, List.of(), Optional.of(Duration.ofHours(1)),
        Duration.ofHours(720), POLICY)).isInstanceOfSatisfying(Decision.Sign.class,
            s -> assertThat(s.duration()).isEqualTo(Duration.ofHours(1)));
  }

  @Test
  void wildcardPatternsCoverOneLabelAndRangesTheirOwnAddressFamily() {
    assertThat(ClientRequestPolicy.dnsAllowed("X.Clients.example.com", List.of("*.clients.example.com"))).isTrue();
    assertThat(ClientRequestPolicy.dnsAllowed("*.clients.example.com", List.of("*.clients.example.com"))).isTrue();
    assertThat(ClientRequestPolicy.dnsAllowed("clients.example.com", List.of("*.clients.example.com"))).isFalse();
    assertThat(ClientRequestPolicy.dnsAllowed("evilclients.example.com", List.of("*.clients.example.com"))).isFalse();
    List<String> inside = new ArrayList<>();
    for (String ip : List.of("10.20.0.1", "10.20.255.254", "10.21.0.1", "fd12::1", "fe80::1", "::ffff:10.20.0.1")) {
      if (ClientRequestPolicy.inRange(ip, "10.20.0.0/16") || ClientRequestPolicy.inRange(ip, "fd00::/8")) {
        inside.add(ip);
      }
    }
    assertThat(inside).containsExactly("10.20.0.1", "10.20.255.254", "fd12::1", "::ffff:10.20.0.1");
  }
}
