package io.arraypki.operator.pki;

import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * The subject of a generated CA. Its CN names the array and the generation ({@code sgd CA g3}),
 * so that two CAs of one array never share a subject while both are trusted.
 */
public record CaSubject(
    String commonName,
    List<String> organizations,
    List<String> organizationalUnits,
    List<String> countries,
    List<String> localities,
    List<String> provinces) {

  public CaSubject {
    organizations = List.copyOf(organizations);
    organizationalUnits = List.copyOf(organizationalUnits);
    countries = List.copyOf(countries);
    localities = List.copyOf(localities);
    provinces = List.copyOf(provinces);
  }

  public static CaSubject of(String commonName) {
    return new CaSubject(commonName, List.of(), List.of(), List.of(), List.of(), List.of());
  }

  public static String commonNameFor(String array, long generation) {
    return array + " CA g" + generation;
  }

  X500Name toX500Name() {
    X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
    countries.forEach(v -> b.addRDN(BCStyle.C, v));
    provinces.forEach(v -> b.addRDN(BCStyle.ST, v));
    localities.forEach(v -> b.addRDN(BCStyle.L, v));
    organizations.forEach(v -> b.addRDN(BCStyle.O, v));
    organizationalUnits.forEach(v -> b.addRDN(BCStyle.OU, v));
    b.addRDN(BCStyle.CN, commonName);
    return b.build();
  }
}
