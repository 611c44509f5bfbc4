package io.arraypki.operator.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A member's trust Lease ({@code coordination.k8s.io/v1}) over the JDK's own HTTP client, with
 * no Kubernetes client library: a GET to read it and one JSON merge patch to write a
 * confirmation. In a pod, {@link #inCluster} uses the pod's ServiceAccount, which the operator
 * allows get, update and patch on this one Lease.
 */
public final class KubernetesLease implements LeaseWriter {
  /** Where the kubelet mounts the pod's ServiceAccount token, the cluster's CA and the namespace. */
  public static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A Kubernetes MicroTime: the API server accepts exactly six fractional digits. */
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final URI leaseUri;
  private final Supplier<String> token;
  private final HttpClient http;
  private final String namespace;
  private final String name;

  /** The API's answer to a request it refused, with its HTTP status and message. */
  public static final class LeaseException extends IOException {
    private final int status;

    LeaseException(String message, int status) {
      super(message);
      this.status = status;
    }

    /** The HTTP status the API server answered. */
    public int status() {
      return status;
    }
  }

  /**
   * A Lease at an API server of the caller's choosing (a test's control plane).
   *
   * @param token the bearer token, asked for on every request (projected tokens rotate)
   * @param tls trusts the API server's certificate
   */
  public KubernetesLease(URI apiServer, Supplier<String> token, SSLContext tls, String namespace, String leaseName) {
    if (namespace == null || namespace.isBlank() || leaseName == null || leaseName.isBlank()) {
      throw new IllegalArgumentException("the Lease's namespace and name are required");
    }
    String base = apiServer.toString().replaceAll("/+$", "");
    this.leaseUri = URI.create(base + "/apis/coordination.k8s.io/v1/namespaces/" + namespace + "/leases/" + leaseName);
    this.token = token;
    this.namespace = namespace;
    this.name = leaseName;
    // HTTP/1.1: over HTTP/2 the API server answers a refused token (401) with a GOAWAY, which the
    // JDK's client reports as an IOException instead of the answer; a member sends a request a
    // change, so a multiplexed connection gains nothing
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).connectTimeout(TIMEOUT)
        .build();
  }

  /**
   * The Lease {@code leaseName} in the pod's namespace, with the pod's credentials: the API server
   * at {@code https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}, the token file (read
   * again on every request), the cluster CA, and POD_NAMESPACE or the mounted namespace file.
   */
  public static KubernetesLease inCluster(String leaseName) {
    return inCluster(leaseName, System.getenv(), SERVICE_ACCOUNT);
  }

  /**
   * {@link #inCluster(String)} with the environment and the ServiceAccount directory given (a
   * test, or a token mounted elsewhere): {@code token}, {@code ca.crt}, {@code namespace} in it.
   */
  public static KubernetesLease inCluster(String leaseName, Map<String, String> env, Path serviceAccount) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    if (host == null || host.isBlank()) {
      throw new IllegalStateException("KUBERNETES_SERVICE_HOST is not set: not in a pod, no API server to report to");
    }
    URI api = URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port.trim());
    Path tokenFile = serviceAccount.resolve("token");
    String namespace = env.get("POD_NAMESPACE");
    if (namespace == null || namespace.isBlank()) {
      try {
        namespace = Files.readString(serviceAccount.resolve("namespace")).trim();
      } catch (IOException e) {
        throw new IllegalStateException("set POD_NAMESPACE: " + serviceAccount.resolve("namespace") + " cannot be read");
      }
    }
    return new KubernetesLease(api, () -> readToken(tokenFile), trusting(serviceAccount.resolve("ca.crt")), namespace,
        leaseName);
  }

  /** Whether this process has a ServiceAccount token to report with (it runs in a pod that mounts one). */
  public static boolean inClusterTokenPresent() {
    return Files.isRegularFile(SERVICE_ACCOUNT.resolve("token"));
  }

  private static String readToken(Path file) {
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the ServiceAccount token " + file + ": " + e.getMessage());
    }
  }

  /** An SSLContext that trusts the CAs of one PEM file, and nothing else. */
  public static SSLContext trusting(Path caFile) {
    try {
      return trusting(Files.readAllBytes(caFile));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the API server's CA " + caFile + ": " + e.getMessage());
    }
  }

  /** An SSLContext that trusts the CAs of these PEM bytes, and nothing else. */
  public static SSLContext trusting(byte[] caPem) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(caPem))) {
        store.setCertificateEntry("api-ca-" + i++, ca);
      }
      if (i == 0) {
        throw new IllegalStateException("the API server's CA file holds no certificate");
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot load the API server's CA: " + e.getMessage(), e);
    }
  }

  public String namespace() {
    return namespace;
  }

  public String name() {
    return name;
  }

  @Override
  public String describe() {
    return "Lease " + namespace + "/" + name;
  }

  @Override
  public Confirmation read() throws IOException, InterruptedException {
    JsonNode lease = send(request().GET().build(), "read");
    JsonNode annotations = lease.path("metadata").path("annotations");
    Map<String, String> values = new HashMap<>();
    annotations.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
    return Confirmation.fromAnnotations(values);
  }

  @Override
  public void write(Confirmation confirmation, String holderIdentity, Instant confirmedAt)
      throws IOException, InterruptedException {
    byte[] body = JSON.writeValueAsBytes(patch(confirmation, holderIdentity, confirmedAt));
    send(request().header("Content-Type", "application/merge-patch+json")
        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body)).build(), "patch");
  }

  /** The merge patch of the contract: the three annotations, holderIdentity and renewTime. */
  static ObjectNode patch(Confirmation confirmation, String holderIdentity, Instant confirmedAt) {
    ObjectNode patch = JSON.createObjectNode();
    ObjectNode annotations = patch.putObject("metadata").putObject("annotations");
    confirmation.annotations().forEach(annotations::put);
    annotations.put(Confirmation.CONFIRMED_AT, confirmedAt.toString());
    ObjectNode spec = patch.putObject("spec");
    spec.put("holderIdentity", holderIdentity);
    spec.put("renewTime", microTime(confirmedAt));
    return patch;
  }

  /** {@code 2026-12-02T13:07:03.123000Z}: six fractional digits, as the API server's MicroTime requires. */
  static String microTime(Instant instant) {
    return MICRO_TIME.format(instant.truncatedTo(ChronoUnit.MICROS));
  }

  private HttpRequest.Builder request() {
    String bearer = token.get();
    return HttpRequest.newBuilder(leaseUri).timeout(TIMEOUT).header("Accept", "application/json")
        .header("Authorization", "Bearer " + bearer);
  }

  /** Sends, and turns an answer other than 2xx into a LeaseException with the API's status and message. */
  private JsonNode send(HttpRequest request, String verb) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      body = null; // not JSON (a proxy's page): the status says enough
    }
    if (response.statusCode() / 100 != 2) {
      String message = body != null && body.hasNonNull("message") ? body.get("message").asText()
          : new String(response.body(), StandardCharsets.UTF_8).strip();
      if (message.length() > 300) {
        message = message.substring(0, 300) + "...";
      }
      throw new LeaseException("cannot " + verb + " " + describe() + ": HTTP " + response.statusCode()
          + (message.isEmpty() ? "" : " " + message), response.statusCode());
    }
    if (body == null) {
      throw new IOException("cannot " + verb + " " + describe() + ": the API server's answer is not JSON");
    }
    return body;
  }
}
