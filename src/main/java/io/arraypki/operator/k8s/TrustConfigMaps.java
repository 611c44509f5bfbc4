package io.arraypki.operator.k8s;

import io.arraypki.operator.pki.Pem;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The array's public trust material: {@code <array>-trust}. */
public final class TrustConfigMaps {
  public static final String CA_CRT = "ca.crt";
  public static final String CRL_PEM = "crl.pem";
  public static final String CANDIDATE_MAP_JSON = "candidate-map.json";
  public static final String AUTHORIZED_KEYS = "authorized_keys";

  private TrustConfigMaps() {}

  public static ConfigMap configMap(HasMetadata array, List<X509Certificate> bundle, long newestGeneration) {
    String name = array.getMetadata().getName();
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA_CRT, Pem.encode(bundle));
    return new ConfigMapBuilder()
        .withMetadata(ManagedObjects.metadata(Names.trustConfigMap(name), array, name, null,
            Labels.COMPONENT_TRUST, Map.of(),
            Map.of(Labels.TRUST_GENERATION, Long.toString(newestGeneration))))
        .withData(data)
        .build();
  }

  public static String bundle(ConfigMap configMap) {
    return configMap == null || configMap.getData() == null ? null : configMap.getData().get(CA_CRT);
  }
}
