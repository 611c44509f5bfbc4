package io.arraypki.operator.ops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kubectl arraypki}: the operator's kubectl plugin, in the operator's jar
 * (target/kubectl-arraypki runs it). It reads what the operator wrote and writes only the renew
 * annotations users write by hand.
 */
@Command(name = "kubectl arraypki", mixinStandardHelpOptions = true, versionProvider = KubectlArraypki.Version.class,
    description = "Look at and steer arraypki-operator's arrays.",
    subcommands = {KubectlArraypki.Status.class, KubectlArraypki.Renew.class, KubectlArraypki.Inspect.class,
        KubectlArraypki.Check.class})
public final class KubectlArraypki {
  /** Exit codes beyond picocli's 0 (done) and 2 (usage): a check that found something, an API error. */
  static final int FOUND_PROBLEMS = 1;
  static final int API_ERROR = 3;

  public static void main(String[] args) {
    // before any logger exists: the CLI's output is its own, libraries only warn on stderr
    io.arraypki.operator.ops.logging.OperatorLogging.useProcessLifetimeLogManager();
    io.arraypki.operator.ops.logging.OperatorLogging.configureCommandLine();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs one command line; the tests call this too. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine line = new CommandLine(new KubectlArraypki());
    line.setOut(out);
    line.setErr(err);
    line.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      if (e instanceof KubernetesClientException k) {
        commandLine.getErr().println("error: " + (k.getStatus() != null && k.getStatus().getMessage() != null
            ? k.getStatus().getMessage() : k.getMessage()));
        return API_ERROR;
      }
      if (e instanceof UserError u) {
        commandLine.getErr().println("error: " + u.getMessage());
        return API_ERROR;
      }
      throw e;
    });
    return line.execute(args);
  }

  /** A refusal the user can act on, printed without a stack trace. */
  static final class UserError extends RuntimeException {
    UserError(String message) {
      super(message);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = KubectlArraypki.class.getPackage().getImplementationVersion();
      return new String[] {"kubectl-arraypki " + (version == null ? "(development build)" : version)};
    }
  }

  /** The options every command takes, as kubectl spells them. */
  static final class Connection {
    @Option(names = {"-n", "--namespace"}, description = "The namespace (default: the kubeconfig context's).")
    String namespace;

    @Option(names = "--context", description = "The kubeconfig context to use.")
    String context;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    String output;

    KubernetesClient client() {
      Config config = context == null ? Config.autoConfigure(null) : Config.autoConfigure(context);
      return new KubernetesClientBuilder().withConfig(config).build();
    }

    String namespace(KubernetesClient client) {
      if (namespace != null) {
        return namespace;
      }
      String configured = client.getNamespace();
      return configured == null ? "default" : configured;
    }

    boolean json() {
      if (!"json".equals(output) && !"text".equals(output)) {
        throw new UserError("--output must be text or json, not " + output);
      }
      return "json".equals(output);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .findAndRegisterModules();

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ClusterArray array(KubernetesClient client, String namespace, String name) {
    ClusterArray array = client.resources(ClusterArray.class).inNamespace(namespace).withName(name).get();
    if (array == null) {
      throw new UserError("no ClusterArray " + name + " in namespace " + namespace);
    }
    return array;
  }

  static List<ArrayNode> members(KubernetesClient client, String namespace, String array) {
    return client.resources(ArrayNode.class).inNamespace(namespace).list().getItems().stream()
        .filter(node -> node.getSpec() != null && array.equals(node.getSpec().array)).toList();
  }

  @Command(name = "status", description = "One screen on an array: CAs, rotation, who is behind, next renewals, verify.")
  static final class Status implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ARRAY", description = "The ClusterArray's name.")
    String name;

    @Override
    public Integer call() {
      boolean json = connection.json();
      try (KubernetesClient client = connection.client()) {
        String namespace = connection.namespace(client);
        ClusterArray array = array(client, namespace, name);
        CandidateMap map = client.resources(CandidateMap.class).inNamespace(namespace).withName(name).get();
        var report = ArrayStatusReport.of(array, members(client, namespace, name), map);
        spec.commandLine().getOut().print(json ? json(report) + "\n" : report.render());
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  @Command(name = "renew", description = {
      "Renew now, with a fresh token in the renew annotation (never deferred to a renewal window):",
      "  a Node: its key and certificates (arraypki.io/renew);",
      "  an array: every member's certificates (arraypki.io/renew-certificates), or with --ca its CA",
      "  (arraypki.io/renew-ca, a zero-outage rotation).",
      "TARGET is a name, node/NAME or array/NAME."})
  static final class Renew implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TARGET")
    String target;

    @Option(names = "--ca", description = "Renew the array's CA (a rotation) instead of its members' certificates.")
    boolean ca;

    @Option(names = "--wait", description = "Wait until the operator has acted on the token.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "5m", description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() {
      boolean json = connection.json();
      try (KubernetesClient client = connection.client()) {
        String namespace = connection.namespace(client);
        RenewTarget resolved = resolve(client, namespace);
        String token = freshToken();
        String annotation = resolved.kind == Kind.NODE ? Labels.RENEW : ca ? Labels.RENEW_CA : Labels.RENEW_CERTIFICATES;
        String patch = json(Map.of("metadata", Map.of("annotations", Map.of(annotation, token))));
        var context = PatchContext.of(PatchType.JSON_MERGE);
        if (resolved.kind == Kind.NODE) {
          client.resources(ArrayNode.class).inNamespace(namespace).withName(resolved.name).patch(context, patch);
        } else {
          client.resources(ClusterArray.class).inNamespace(namespace).withName(resolved.name).patch(context, patch);
        }
        boolean handled = !await || awaitHandled(client, namespace, resolved, token);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("kind", resolved.kind == Kind.NODE ? "Node" : "ClusterArray");
        result.put("namespace", namespace);
        result.put("name", resolved.name);
        result.put("annotation", annotation);
        result.put("token", token);
        if (await) {
          result.put("handled", handled);
        }
        var out = spec.commandLine().getOut();
        if (json) {
          out.println(json(result));
        } else {
          out.println((resolved.kind == Kind.NODE ? "node/" : "array/") + resolved.name + " annotated "
              + annotation + "=" + token + (!await ? "" : handled ? ": done" : ": not handled within " + timeout));
        }
        out.flush();
        return handled ? 0 : FOUND_PROBLEMS;
      }
    }

    private enum Kind { NODE, ARRAY }

    private record RenewTarget(Kind kind, String name) {}

    private RenewTarget resolve(KubernetesClient client, String namespace) {
      if (target.startsWith("node/") || target.startsWith("anode/") || target.startsWith("nodes/")) {
        String name = target.substring(target.indexOf('/') + 1);
        requireNode(client, namespace, name);
        return new RenewTarget(Kind.NODE, name);
      }
      if (target.startsWith("array/") || target.startsWith("carr/") || target.startsWith("clusterarray/")) {
        String name = target.substring(target.indexOf('/') + 1);
        array(client, namespace, name);
        return new RenewTarget(Kind.ARRAY, name);
      }
      boolean node = client.resources(ArrayNode.class).inNamespace(namespace).withName(target).get() != null;
      boolean array = client.resources(ClusterArray.class).inNamespace(namespace).withName(target).get() != null;
      if (node && array) {
        throw new UserError("both a Node and a ClusterArray are named " + target + ": say node/" + target
            + " or array/" + target);
      }
      if (!node && !array) {
        throw new UserError("no Node or ClusterArray " + target + " in namespace " + namespace);
      }
      if (node && ca) {
        throw new UserError("--ca renews an array's CA; " + target + " is a Node");
      }
      return new RenewTarget(node ? Kind.NODE : Kind.ARRAY, target);
    }

    private static void requireNode(KubernetesClient client, String namespace, String name) {
      if (client.resources(ArrayNode.class).inNamespace(namespace).withName(name).get() == null) {
        throw new UserError("no Node " + name + " in namespace " + namespace);
      }
    }

    private boolean awaitHandled(KubernetesClient client, String namespace, RenewTarget resolved, String token) {
      long seconds = io.arraypki.operator.pki.GoDuration.parse(timeout).toSeconds();
      try {
        if (resolved.kind == Kind.NODE) {
          client.resources(ArrayNode.class).inNamespace(namespace).withName(resolved.name).waitUntilCondition(
              n -> n != null && n.getStatus() != null && token.equals(n.getStatus().lastHandledRenewal),
              seconds, TimeUnit.SECONDS);
        } else {
          client.resources(ClusterArray.class).inNamespace(namespace).withName(resolved.name).waitUntilCondition(
              a -> a != null && a.getStatus() != null && a.getStatus().lastHandledRenewal != null
                  && token.equals(ca ? a.getStatus().lastHandledRenewal.ca : a.getStatus().lastHandledRenewal.certificates),
              seconds, TimeUnit.SECONDS);
        }
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCause() instanceof java.util.concurrent.TimeoutException) {
          return false;
        }
        throw e;
      }
    }
  }

  /** A token no earlier renewal used: the time and random bits, so that two users never collide. */
  static String freshToken() {
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    return "cli-" + Clock.systemUTC().instant().getEpochSecond() + "-" + HexFormat.of().formatHex(random);
  }

  @Command(name = "inspect", description = "Decode the certificates a node holds: chain, signer, CRL status.")
  static final class Inspect implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE", description = "The Node's name.")
    String name;

    @Override
    public Integer call() {
      boolean json = connection.json();
      try (KubernetesClient client = connection.client()) {
        String namespace = connection.namespace(client);
        ArrayNode node = client.resources(ArrayNode.class).inNamespace(namespace).withName(name).get();
        if (node == null) {
          throw new UserError("no Node " + name + " in namespace " + namespace);
        }
        String arrayName = node.getSpec() == null ? null : node.getSpec().array;
        ClusterArray array = arrayName == null ? null
            : client.resources(ClusterArray.class).inNamespace(namespace).withName(arrayName).get();
        List<Secret> secrets = new ArrayList<>();
        for (String secretName : List.of(Names.peerSecret(name), Names.clientSecret(name))) {
          Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
          if (secret != null) {
            secrets.add(secret);
          }
        }
        var trust = arrayName == null ? null
            : client.configMaps().inNamespace(namespace).withName(Names.trustConfigMap(arrayName)).get();
        var inspection = NodeInspection.of(node, array, secrets, trust, Clock.systemUTC().instant());
        var out = spec.commandLine().getOut();
        out.print(json ? json(inspection) + "\n" : inspection.render());
        out.flush();
        boolean revoked = inspection.secrets().stream().flatMap(s -> s.chain().stream())
            .anyMatch(c -> c.revocation().startsWith("REVOKED"));
        return revoked ? FOUND_PROBLEMS : 0;
      }
    }
  }

  @Command(name = "check", description = "Is the operator up, and are the installed CRDs the ones this build made?")
  static final class Check implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--operator-namespace", description = "Where the operator runs, when listing Deployments in every namespace is not allowed (default: arraypki-system).")
    String operatorNamespace;

    record OperatorDeployment(String namespace, String name, int replicas, int ready, String leader) {}

    record Report(List<OperatorDeployment> operators, List<CrdCheck.Result> crds, boolean ok) {}

    @Override
    public Integer call() {
      boolean json = connection.json();
      try (KubernetesClient client = connection.client()) {
        List<OperatorDeployment> operators = operators(client);
        List<CrdCheck.Result> crds = new ArrayList<>();
        for (String crd : CrdCheck.NAMES) {
          CustomResourceDefinition installed =
              client.apiextensions().v1().customResourceDefinitions().withName(crd).get();
          crds.add(CrdCheck.compare(CrdCheck.bundled(crd), installed));
        }
        boolean up = operators.stream().anyMatch(o -> o.ready() > 0);
        boolean current = crds.stream().allMatch(r -> r.verdict() == CrdCheck.Verdict.CURRENT);
        var report = new Report(operators, crds, up && current);
        var out = spec.commandLine().getOut();
        if (json) {
          out.println(json(report));
        } else {
          if (operators.isEmpty()) {
            out.println("operator   NOT FOUND (no Deployment labelled app.kubernetes.io/name=arraypki-operator)");
          }
          for (OperatorDeployment o : operators) {
            out.println("operator   " + o.namespace() + "/" + o.name() + ": " + o.ready() + "/" + o.replicas()
                + " ready" + (o.ready() > 0 ? "" : ", DOWN") + (o.leader() == null ? "" : ", leader " + o.leader()));
          }
          for (CrdCheck.Result r : crds) {
            out.println("crd        " + r.name() + ": " + switch (r.verdict()) {
              case CURRENT -> "current";
              case MISSING -> "MISSING (kubectl apply -f deploy/operator.yaml, or helm install)";
              case DIFFERS -> "NOT CURRENT: " + String.join("; ", r.differences())
                  + " (apply this release's CRDs: kubectl apply --server-side -f crds/)";
            });
          }
        }
        out.flush();
        return report.ok() ? 0 : FOUND_PROBLEMS;
      }
    }

    private List<OperatorDeployment> operators(KubernetesClient client) {
      List<Deployment> deployments;
      String label = "app.kubernetes.io/name";
      try {
        deployments = operatorNamespace != null
            ? client.apps().deployments().inNamespace(operatorNamespace).withLabel(label, "arraypki-operator").list().getItems()
            : client.apps().deployments().inAnyNamespace().withLabel(label, "arraypki-operator").list().getItems();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 403 || operatorNamespace != null) {
          throw e;
        }
        deployments = client.apps().deployments().inNamespace("arraypki-system").withLabel(label, "arraypki-operator")
            .list().getItems();
      }
      return deployments.stream().map(d -> {
        String namespace = d.getMetadata().getNamespace();
        var lease = client.leases().inNamespace(namespace)
            .withName(io.arraypki.operator.ops.OperatorSettings.LEASE_NAME).get();
        String leader = lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
        int replicas = d.getSpec() == null || d.getSpec().getReplicas() == null ? 0 : d.getSpec().getReplicas();
        int ready = d.getStatus() == null || d.getStatus().getReadyReplicas() == null ? 0 : d.getStatus().getReadyReplicas();
        return new OperatorDeployment(namespace, d.getMetadata().getName(), replicas, ready, leader);
      }).sorted(java.util.Comparator.comparing(OperatorDeployment::namespace)).toList();
    }
  }

  private KubectlArraypki() {}
}
