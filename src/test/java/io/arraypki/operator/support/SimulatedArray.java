package io.arraypki.operator.support;

import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.trust.MemberTls;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Members of an array as processes would run them: each has its peer Secret "mounted" in a
 * directory (updated the way the kubelet does, by swapping a symlink to a new directory), a TLS
 * server built on the member library, and a client that keeps doing mutual-TLS handshakes with
 * every other member, hostname verification on. Counts every handshake that failed, and why.
 */
public final class SimulatedArray implements AutoCloseable {
  private final Path root;
  private final List<String> members;
  private final Map<String, String> hostNames;
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong succeeded = new AtomicLong();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final SharedIndexInformer<Secret> informer;
  // server threads add a thread per accepted connection while close() walks the list
  private final Queue<Thread> threads = new ConcurrentLinkedQueue<>();
  private final List<SSLServerSocket> servers = new java.util.ArrayList<>();

  public SimulatedArray(KubernetesClient client, String namespace, Path root, Map<String, String> hostNames)
      throws Exception {
    this.root = root;
    this.members = List.copyOf(hostNames.keySet());
    this.hostNames = Map.copyOf(hostNames);
    this.informer = client.secrets().inNamespace(namespace).withLabel("arraypki.io/component", "peer")
        .inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(Secret s) {
            mount(s);
          }

          @Override
          public void onUpdate(Secret old, Secret s) {
            mount(s);
          }

          @Override
          public void onDelete(Secret s, boolean unknown) {}
        });
    for (String member : members) {
      Waits.converge().until(() -> Files.exists(current(member).resolve("tls.crt")));
      SSLContext context = MemberTls.sslContext(current(member), current(member), false);
      SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
          .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      server.setNeedClientAuth(true);
      servers.add(server);
      ports.put(member, server.getLocalPort());
      start(() -> serve(server));
    }
    for (String member : members) {
      SSLContext context = MemberTls.sslContext(current(member), current(member), false);
      start(() -> callOthers(member, context));
    }
  }

  private Path current(String member) {
    return root.resolve(member).resolve("current");
  }

  /** As the kubelet updates a mounted Secret: a new directory, then one atomic symlink swap. */
  private synchronized void mount(Secret secret) {
    String member = secret.getMetadata().getLabels().get("arraypki.io/node");
    if (member == null || !hostNames.containsKey(member)) {
      return;
    }
    try {
      Path dir = root.resolve(member);
      Path version = Files.createDirectories(dir.resolve("v" + System.nanoTime()));
      for (String key : List.of("tls.crt", "tls.key", "ca.crt")) {
        Files.writeString(version.resolve(key), SecretData.text(secret, key).orElse(""));
      }
      Path link = dir.resolve("current.tmp");
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, version.getFileName());
      Files.move(link, dir.resolve("current"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void start(Runnable body) {
    Thread t = new Thread(body, "simulated-member");
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private void serve(SSLServerSocket server) {
    while (running.get()) {
      try {
        SSLSocket socket = (SSLSocket) server.accept();
        start(() -> {
          try (socket) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(1);
            out.flush();
          } catch (IOException e) {
            // the client side records the failure with its reason
          }
        });
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void callOthers(String self, SSLContext context) {
    while (running.get()) {
      for (String other : members) {
        if (other.equals(self) || !running.get()) {
          continue;
        }
        String host = hostNames.get(other);
        try (Socket raw = new Socket()) {
          raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ports.get(other)), 5_000);
          raw.setSoTimeout(10_000);
          try (SSLSocket socket = (SSLSocket) context.getSocketFactory()
              .createSocket(raw, host, ports.get(other), true)) {
            SSLParameters p = socket.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(p);
            socket.startHandshake();
            InputStream in = socket.getInputStream();
            if (in.read() != 1) {
              throw new IOException("no data after the handshake");
            }
            succeeded.incrementAndGet();
          }
        } catch (IOException e) {
          if (running.get()) {
            failures.add(self + " -> " + other + ": " + e);
          }
        }
      }
      // a member's call interval: every call is a full handshake (the member library never
      // resumes), and ten members calling flat out would take the CPU from the operator
      java.util.concurrent.locks.LockSupport.parkNanos(CALL_INTERVAL_NANOS);
    }
  }

  private static final long CALL_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);

  public long succeeded() {
    return succeeded.get();
  }

  public List<String> failures() {
    return List.copyOf(failures);
  }

  @Override
  public void close() throws Exception {
    running.set(false);
    for (SSLServerSocket server : servers) {
      server.close();
    }
    for (Thread t : threads) {
      t.join(15_000);
    }
    informer.close();
  }
}
