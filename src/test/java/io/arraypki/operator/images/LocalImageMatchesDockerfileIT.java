package io.arraypki.operator.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.support.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cluster runs the operator from the image that {@code e2e/images.sh} assembles without
 * Docker (a jlink JRE standing in for eclipse-temurin:17-jre, the application in a layer on top):
 * that image is the one the project's Dockerfile describes. The Dockerfile is parsed here on its
 * own (not by the script's assembler), the image is read straight from the docker-archive
 * tarball (manifest.json, the config, the layers), and the two must agree on the user, the
 * working directory, the entrypoint, the exposed ports, the labels and every COPY, file by file
 * against target/.
 */
class LocalImageMatchesDockerfileIT {
  private static final Path PROJECT = Commands.projectDir();
  private static final Path SCRIPT = PROJECT.resolve("e2e/images.sh");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What e2e/images.sh reproduces; FROM is replaced by its local JRE base. */
  private static final Set<String> REPRODUCED_INSTRUCTIONS =
      Set.of("FROM", "LABEL", "WORKDIR", "COPY", "USER", "EXPOSE", "ENTRYPOINT", "ENV", "CMD");

  @TempDir static Path unpacked;

  private static Dockerfile dockerfile;
  private static JsonNode manifest;
  private static JsonNode config;
  /** Every path of the image but directories (no leading slash) and the layer it comes from last. */
  private static final Map<String, Path> FILES = new TreeMap<>();
  /** Every directory of the image (no leading or trailing slash). */
  private static final Set<String> DIRECTORIES = new TreeSet<>();

  @BeforeAll
  static void buildTheOperatorImage() throws IOException {
    Commands.run(List.of("bash", SCRIPT.toString(), "build", "operator"), null, Map.of(), 1800)
        .orFail("e2e/images.sh build operator");
    Path archive = Path.of(lastLine(script("path", "operator")));
    assertThat(archive).as("the tarball e2e/images.sh path operator names").isRegularFile();

    dockerfile = Dockerfile.parse(PROJECT.resolve("Dockerfile"));
    run("tar", "-xf", archive.toString(), "-C", unpacked.toString());
    manifest = JSON.readTree(unpacked.resolve("manifest.json").toFile());
    assertThat(manifest.size()).as("images in manifest.json of %s", archive).isEqualTo(1);
    config = JSON.readTree(unpacked.resolve(manifest.get(0).path("Config").asText()).toFile());
    for (String layer : texts(manifest.get(0).path("Layers"))) {
      Path layerFile = unpacked.resolve(layer);
      for (String entry : run("tar", "-tzf", layerFile.toString()).lines().toList()) {
        String name = normalize(entry);
        if (name.isEmpty()) {
          continue;
        }
        if (entry.endsWith("/")) {
          DIRECTORIES.add(name);
          FILES.remove(name);
        } else {
          FILES.put(name, layerFile);
          DIRECTORIES.remove(name);
        }
      }
    }
  }

  @Test
  void theDockerfileUsesOnlyInstructionsTheLocalBuildReproduces() {
    assertThat(dockerfile.instructions().stream().map(Instruction::keyword))
        .as("instructions of the Dockerfile (e2e/images.sh builds without running a container)")
        .allMatch(REPRODUCED_INSTRUCTIONS::contains);
    assertThat(dockerfile.all("FROM")).as("a single stage").hasSize(1);
  }

  @Test
  void theImageIsNamedWhatImagesShRefPrints() {
    String ref = lastLine(script("ref", "operator"));
    assertThat(texts(manifest.get(0).path("RepoTags"))).containsExactly(ref);
    assertThat(ref).isEqualTo("arraypki.local/arraypki-operator:dev");
  }

  @Test
  void theImageIsALinuxImageOfThisMachinesArchitecture() {
    String arch = switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> System.getProperty("os.arch");
    };
    assertThat(config.path("os").asText()).isEqualTo("linux");
    assertThat(config.path("architecture").asText()).as("what ctr import matches the platform with").isEqualTo(arch);
  }

  @Test
  void theImageRunsAsTheDockerfilesUser() {
    assertThat(containerConfig().path("User").asText()).isEqualTo(dockerfile.last("USER"));
  }

  @Test
  void theImageStartsInTheDockerfilesWorkdirWhichExistsInTheImage() {
    String workdir = dockerfile.last("WORKDIR");
    assertThat(containerConfig().path("WorkingDir").asText()).isEqualTo(workdir);
    assertThat(DIRECTORIES).contains(normalize(workdir));
  }

  @Test
  void theImageRunsTheDockerfilesEntrypointWithoutACmd() throws IOException {
    List<String> entrypoint = List.of(JSON.readValue(dockerfile.last("ENTRYPOINT"), String[].class));
    assertThat(texts(containerConfig().path("Entrypoint"))).containsExactlyElementsOf(entrypoint);
    assertThat(texts(containerConfig().path("Cmd"))).as("CMD after the ENTRYPOINT").isEmpty();
  }

  @Test
  void theEntrypointsProgramIsOnThePathOfTheImage() throws IOException {
    String program = JSON.readValue(dockerfile.last("ENTRYPOINT"), String[].class)[0];
    String path = env().getOrDefault("PATH", "");
    List<String> candidates = program.startsWith("/")
        ? List.of(normalize(program))
        : Stream.of(path.split(":")).map(dir -> normalize(dir + "/" + program)).toList();
    assertThat(candidates).as("%s on PATH=%s (eclipse-temurin has java there)", program, path)
        .anyMatch(FILES::containsKey);
    assertThat(env()).containsEntry("JAVA_HOME", "/opt/java/openjdk").containsEntry("LANG", "C.UTF-8");
  }

  @Test
  void theImageExposesTheDockerfilesPorts() {
    Set<String> exposed = new TreeSet<>();
    for (String instruction : dockerfile.all("EXPOSE")) {
      for (String port : instruction.trim().split("\\s+")) {
        exposed.add(port.contains("/") ? port : port + "/tcp");
      }
    }
    Set<String> inImage = new TreeSet<>();
    containerConfig().path("ExposedPorts").properties().forEach(e -> inImage.add(e.getKey()));
    assertThat(inImage).isEqualTo(exposed).contains("8080/tcp");
  }

  @Test
  void theImageCarriesEveryLabelOfTheDockerfile() {
    Map<String, String> labels = new TreeMap<>();
    containerConfig().path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
    Map<String, String> declared = new LinkedHashMap<>();
    for (String instruction : dockerfile.all("LABEL")) {
      declared.putAll(Dockerfile.keyValues(instruction));
    }
    assertThat(declared).as("the Dockerfile's labels").containsKey("org.opencontainers.image.version");
    assertThat(labels).containsAllEntriesOf(declared);
  }

  @Test
  void everyCopyDestinationHoldsTheFilesOfTarget() throws IOException {
    List<String> copies = dockerfile.all("COPY");
    assertThat(copies).as("the Dockerfile's COPY instructions").isNotEmpty();
    Map<String, Path> expected = new TreeMap<>(); // path in the image -> file of the build context
    for (String instruction : copies) {
      String[] args = instruction.trim().split("\\s+");
      assertThat(args).as("COPY %s: one source, one destination", instruction).hasSize(2);
      Path source = PROJECT.resolve(args[0]);
      String destination = absolute(args[1]);
      Map<String, Path> copied = new TreeMap<>();
      if (Files.isDirectory(source)) {
        try (Stream<Path> walk = Files.walk(source)) {
          walk.filter(Files::isRegularFile)
              .forEach(f -> copied.put(normalize(destination + "/" + source.relativize(f)), f));
        }
        String prefix = normalize(destination) + "/";
        assertThat(DIRECTORIES).as("COPY %s: the directory", instruction).contains(normalize(destination));
        assertThat(FILES.keySet().stream().filter(name -> name.startsWith(prefix)))
            .as("COPY %s: the files the image has in %s", instruction, destination)
            .containsExactlyInAnyOrderElementsOf(copied.keySet());
      } else {
        String file = destination.endsWith("/") ? destination + source.getFileName() : destination;
        copied.put(normalize(file), source);
      }
      assertThat(copied).as("COPY %s: files in the build context (./mvnw package makes them)", instruction)
          .isNotEmpty();
      assertThat(FILES).as("COPY %s", instruction).containsKeys(copied.keySet().toArray(String[]::new));
      expected.putAll(copied);
    }

    // Each file out of the layer that holds it last, compared byte for byte.
    Path extracted = Files.createDirectories(unpacked.resolve("rootfs"));
    Map<Path, List<String>> byLayer = new LinkedHashMap<>();
    expected.keySet().forEach(name -> byLayer.computeIfAbsent(FILES.get(name), l -> new ArrayList<>()).add(name));
    for (Map.Entry<Path, List<String>> layer : byLayer.entrySet()) {
      List<String> command = new ArrayList<>(List.of("tar", "-xzf", layer.getKey().toString(), "-C", extracted.toString()));
      command.addAll(layer.getValue());
      Commands.run(command, null, Map.of(), 300).orFail("tar -xzf " + layer.getKey());
    }
    for (Map.Entry<String, Path> file : expected.entrySet()) {
      assertThat(Files.mismatch(extracted.resolve(file.getKey()), file.getValue()))
          .as("/%s in the image is %s", file.getKey(), PROJECT.relativize(file.getValue()))
          .isEqualTo(-1L);
    }
    try (Stream<Path> libs = Files.list(PROJECT.resolve("target/lib"))) {
      long jars = libs.filter(p -> p.toString().endsWith(".jar")).count();
      assertThat(jars).as("target/lib/*.jar").isPositive();
      assertThat(expected).as("the jar and each of target/lib/*.jar, in the image")
          .containsKey("opt/arraypki/arraypki-operator.jar")
          .hasSize((int) jars + 1);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static JsonNode containerConfig() {
    return config.path("config");
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(element -> texts.add(element.asText()));
    return texts;
  }

  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    for (JsonNode kv : containerConfig().path("Env")) {
      String[] parts = kv.asText().split("=", 2);
      env.put(parts[0], parts.length > 1 ? parts[1] : "");
    }
    return env;
  }

  /** A Dockerfile path made absolute against the last WORKDIR, as COPY does. */
  private static String absolute(String destination) {
    if (destination.startsWith("/")) {
      return destination;
    }
    return dockerfile.last("WORKDIR") + "/" + destination;
  }

  /** A path as the layers list it: relative to /, no "./", no trailing slash, no "//". */
  private static String normalize(String path) {
    String p = path.replaceAll("/+", "/");
    while (p.startsWith("./") || p.startsWith("/")) {
      p = p.startsWith("./") ? p.substring(2) : p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  private static String script(String... args) {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    return Commands.run(command, null, Map.of(), 60).orFail("e2e/images.sh " + String.join(" ", args)).output();
  }

  private static String run(String... command) {
    return Commands.run(List.of(command), null, Map.of(), 300).orFail(String.join(" ", command)).output();
  }

  private static String lastLine(String output) {
    List<String> lines = output.strip().lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
  }

  record Instruction(String keyword, String arguments) {}

  /** The instructions of a Dockerfile: continuation lines joined, comments and blank lines left out. */
  record Dockerfile(List<Instruction> instructions) {
    static Dockerfile parse(Path file) throws IOException {
      List<Instruction> instructions = new ArrayList<>();
      StringBuilder logical = new StringBuilder();
      for (String line : Files.readAllLines(file)) {
        String trimmed = line.strip();
        if (trimmed.startsWith("#") || (trimmed.isEmpty() && logical.isEmpty())) {
          continue;
        }
        if (trimmed.endsWith("\\")) {
          logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
          continue;
        }
        logical.append(trimmed);
        String text = logical.toString().strip();
        logical.setLength(0);
        if (!text.isEmpty()) {
          String[] parts = text.split("\\s+", 2);
          instructions.add(new Instruction(parts[0].toUpperCase(), parts.length > 1 ? parts[1].strip() : ""));
        }
      }
      assertThat(logical.toString().strip()).as("%s ends inside an instruction", file).isEmpty();
      return new Dockerfile(instructions);
    }

    List<String> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    String last(String keyword) {
      List<String> all = all(keyword);
      assertThat(all).as("%s in the Dockerfile", keyword).isNotEmpty();
      return all.get(all.size() - 1);
    }

    /** {@code k1="v 1" k2=v2}: the pairs of a LABEL (double-quoted values may escape \" and \\). */
    static Map<String, String> keyValues(String arguments) {
      Map<String, String> pairs = new LinkedHashMap<>();
      int i = 0;
      int n = arguments.length();
      while (i < n) {
        while (i < n && Character.isWhitespace(arguments.charAt(i))) {
          i++;
        }
        if (i == n) {
          break;
        }
        int equals = arguments.indexOf('=', i);
        assertThat(equals).as("KEY=VALUE in LABEL %s", arguments).isPositive();
        String key = arguments.substring(i, equals);
        i = equals + 1;
        StringBuilder value = new StringBuilder();
        if (i < n && arguments.charAt(i) == '"') {
          i++;
          while (i < n && arguments.charAt(i) != '"') {
            if (arguments.charAt(i) == '\\' && i + 1 < n) {
              i++;
            }
            value.append(arguments.charAt(i++));
          }
          i++; // the closing quote
        } else {
          while (i < n && !Character.isWhitespace(arguments.charAt(i))) {
            value.append(arguments.charAt(i++));
          }
        }
        pairs.put(key, value.toString());
      }
      return pairs;
    }
  }
}
