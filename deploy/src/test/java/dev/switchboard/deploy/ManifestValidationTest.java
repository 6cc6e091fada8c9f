package dev.switchboard.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Renders every kustomize overlay with {@code kubectl kustomize}, as a user deploying it would, and
 * holds the result to the Kubernetes API schema and to the deployment rules of
 * {@link ManifestValidator}; and proves the validator rejects what it must, on broken fixtures.
 */
class ManifestValidationTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Path K8S = ROOT.resolve("deploy/k8s");
  private static final Path BROKEN = Path.of("src/test/resources/broken");
  private static final long RENDER_TIMEOUT_SECONDS = 60;
  /** A fixture states the problems it must cause, one per line starting with this. */
  private static final String EXPECT = "# expect: ";

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/dev", "overlays/prod"})
  void everyOverlayRendersAndPassesStrictValidation(String overlay) throws Exception {
    String rendered = render(K8S.resolve(overlay));
    List<String> objects = ManifestValidator.objects(rendered);
    for (String service : services()) {
      assertTrue(objects.contains("Deployment/" + service), service + " is not deployed by " + overlay + ": " + objects);
    }
    assertEquals(List.of(), ManifestValidator.validate(rendered), overlay);
  }

  @Test
  void everyServiceHasItsImageAndService() throws Exception {
    String rendered = render(K8S.resolve("base"));
    List<String> objects = ManifestValidator.objects(rendered);
    for (String service : services()) {
      assertTrue(rendered.contains("image: switchboard-" + service + ":"), "no image for " + service);
      assertTrue(objects.contains("Service/" + service), "no Service for " + service + ": " + objects);
    }
    assertTrue(objects.contains("Service/switchboard-cluster"), objects.toString());
  }

  @Test
  void prodRunsSeveralReplicasSpreadAndProtected() throws Exception {
    String rendered = render(K8S.resolve("overlays/prod"));
    List<String> objects = ManifestValidator.objects(rendered);
    for (String service : services()) {
      assertTrue(objects.contains("PodDisruptionBudget/" + service), "no PDB for " + service + ": " + objects);
    }
    long deployments = objects.stream().filter(o -> o.startsWith("Deployment/")).count();
    assertEquals(deployments, count(rendered, "replicas: 3"), rendered);
    assertEquals(deployments, count(rendered, "podAntiAffinity:"), rendered);
    assertTrue(rendered.contains("kind: HorizontalPodAutoscaler"), rendered);
  }

  @Test
  void prodRunsTheBusOverTlsOnEveryMemberAndChecksTokens() throws Exception {
    String rendered = render(K8S.resolve("overlays/prod"));
    long members = ManifestValidator.clusterMembers(rendered);
    assertTrue(members >= 6, "cluster members: " + members);
    assertEquals(members, count(rendered, "secretName: switchboard-cluster-tls"), rendered);
    assertTrue(rendered.contains("SWITCHBOARD_CLUSTER_BUS_TLS_CERT: /etc/switchboard/cluster-tls/tls.crt"), rendered);
    assertTrue(rendered.contains("SWITCHBOARD_CHAT_AUTH: \"true\""), rendered);
    for (String key : List.of("SWITCHBOARD_AUTH_JWKS", "SWITCHBOARD_AUTH_ISSUER", "SWITCHBOARD_AUTH_AUDIENCE")) {
      assertTrue(rendered.contains(key + ":"), key + " is not in prod's switchboard-auth");
    }
    String dev = render(K8S.resolve("overlays/dev"));
    assertTrue(!dev.contains("BUS_TLS"), "dev keeps the bus in plaintext");
  }

  @Test
  void everyOverlayDeniesIngressByDefault() throws Exception {
    for (String overlay : List.of("base", "overlays/dev", "overlays/prod")) {
      List<String> objects = ManifestValidator.objects(render(K8S.resolve(overlay)));
      assertTrue(objects.contains("NetworkPolicy/default-deny-ingress"), overlay + ": " + objects);
      assertTrue(objects.contains("NetworkPolicy/cluster-members"), overlay + ": " + objects);
    }
  }

  @Test
  void brokenFixturesAreRejectedWithTheirProblem() throws Exception {
    List<Path> fixtures;
    try (Stream<Path> files = Files.list(BROKEN)) {
      fixtures = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(fixtures.size() >= 5, "fixtures: " + fixtures);
    for (Path fixture : fixtures) {
      String yaml = Files.readString(fixture);
      List<String> expected = yaml.lines().filter(l -> l.startsWith(EXPECT)).map(l -> l.substring(EXPECT.length())).toList();
      assertTrue(!expected.isEmpty(), fixture + " states no expected problem");
      List<String> problems = ManifestValidator.validate(yaml);
      for (String problem : expected) {
        assertTrue(problems.stream().anyMatch(p -> p.contains(problem)),
          fixture.getFileName() + ": expected a problem containing '" + problem + "', got " + problems);
      }
    }
  }

  /** The modules that run as processes, as scripts/start finds them: services/NAME with sources or a package.json, and the gateway. */
  static List<String> services() throws IOException {
    try (Stream<Path> dirs = Files.list(ROOT.resolve("services"))) {
      List<String> services = new ArrayList<>(dirs.filter(dir -> Files.isDirectory(dir.resolve("src/main")) || isNodeService(dir))
        .map(dir -> dir.getFileName().toString())
        .sorted()
        .toList());
      if (Files.isDirectory(ROOT.resolve("gateway/src/main"))) {
        services.add("gateway");
      }
      return services;
    }
  }

  /** A Node.js service (the greeter): a package.json and no pom. */
  static boolean isNodeService(Path dir) {
    return Files.isRegularFile(dir.resolve("package.json")) && !Files.exists(dir.resolve("pom.xml"));
  }

  private static String render(Path kustomization) throws Exception {
    Process kubectl;
    try {
      kubectl = new ProcessBuilder("kubectl", "kustomize", kustomization.toString()).redirectErrorStream(false).start();
    } catch (IOException e) {
      return fail("kubectl is needed to render the manifests (.ci/run installs it): " + e.getMessage());
    }
    List<String> err = new ArrayList<>();
    Thread drain = new Thread(() -> new String(readAll(kubectl.getErrorStream()), StandardCharsets.UTF_8).lines().forEach(err::add));
    drain.start();
    String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!kubectl.waitFor(RENDER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      kubectl.destroyForcibly();
      fail("kubectl kustomize " + kustomization + " did not finish in " + RENDER_TIMEOUT_SECONDS + " s");
    }
    drain.join();
    assertEquals(0, kubectl.exitValue(), "kubectl kustomize " + kustomization + ": " + String.join("\n", err));
    return out;
  }

  private static byte[] readAll(java.io.InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      n++;
    }
    return n;
  }
}
