package dev.switchboard.deploy;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvFromSource;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1ResourceRequirements;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Checks rendered Kubernetes manifests the way a cluster and a reviewer would.
 *
 * <p>First strictly against the API schema: every object is read through the model class of its
 * kind from the Kubernetes Java client, whose generated validation rejects unknown fields and
 * missing required ones at every depth; kinds we do not know are rejected too. Then the rules that
 * a schema cannot express: selectors match the pods they select, probes point at declared ports
 * and at the services' health paths, every container has requests and limits and runs non-root on
 * a read-only root filesystem, images carry a fixed tag, references (config maps, volumes, scale
 * targets) resolve, and pods are given time to drain.
 */
final class ManifestValidator {

  /** The kinds Switchboard deploys, by {@code apiVersion/kind}. */
  private static final Map<String, Class<?>> MODELS = Map.of(
    "v1/Namespace", V1Namespace.class,
    "v1/ConfigMap", V1ConfigMap.class,
    "v1/Service", V1Service.class,
    "apps/v1/Deployment", V1Deployment.class,
    "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class,
    "autoscaling/v2/HorizontalPodAutoscaler", V2HorizontalPodAutoscaler.class);

  /** The paths every Switchboard service answers on its ops port. */
  private static final Set<String> PROBE_PATHS = Set.of("/health", "/ready");
  /** A pod's preStop pause plus the services' default drain (shutdown.grace, 10 s). */
  private static final long MIN_TERMINATION_GRACE_SECONDS = 15;
  /** Messages of the generated validation quote the whole object after this; we cut it. */
  private static final List<String> QUOTE_MARKERS = List.of(". JSON: ", " in the JSON string: ");

  private final Gson gson = new Gson();
  private final List<String> problems = new ArrayList<>();
  private final List<V1Deployment> deployments = new ArrayList<>();
  private final List<V1Service> services = new ArrayList<>();
  private final List<V1ConfigMap> configMaps = new ArrayList<>();
  private final List<V1PodDisruptionBudget> budgets = new ArrayList<>();
  private final List<V2HorizontalPodAutoscaler> autoscalers = new ArrayList<>();

  private ManifestValidator() {
  }

  /** Every problem found in a stream of YAML documents, one line each; empty when all is well. */
  static List<String> validate(String yaml) {
    ManifestValidator validator = new ManifestValidator();
    validator.read(yaml);
    validator.checkRules();
    return validator.problems;
  }

  /** The objects a stream of YAML documents holds, as {@code Kind/name}. */
  static List<String> objects(String yaml) {
    List<String> names = new ArrayList<>();
    for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
      if (document instanceof Map<?, ?> map && map.get("metadata") instanceof Map<?, ?> metadata) {
        names.add(map.get("kind") + "/" + metadata.get("name"));
      }
    }
    return names;
  }

  // ---- schema ------------------------------------------------------------------------------------

  private void read(String yaml) {
    Yaml parser = new Yaml(new SafeConstructor(new LoaderOptions()));
    int index = 0;
    for (Object document : parser.loadAll(yaml)) {
      index++;
      if (document == null) {
        continue;
      }
      if (!(document instanceof Map<?, ?> map)) {
        problems.add("document " + index + ": not an object");
        continue;
      }
      String apiVersion = String.valueOf(map.get("apiVersion"));
      String kind = String.valueOf(map.get("kind"));
      Object metadata = map.get("metadata");
      Object name = metadata instanceof Map<?, ?> meta ? meta.get("name") : null;
      String label = kind + " " + name;
      Class<?> model = MODELS.get(apiVersion + "/" + kind);
      if (model == null) {
        problems.add(label + ": unknown kind " + apiVersion + "/" + kind);
        continue;
      }
      JsonElement json = gson.toJsonTree(document);
      Object object;
      try {
        object = JSON.getGson().fromJson(json, model);
      } catch (RuntimeException e) {
        problems.add(label + ": " + schemaMessage(e));
        continue;
      }
      if (name == null) {
        problems.add(label + ": metadata.name is required");
        continue;
      }
      if (object instanceof V1Deployment deployment) {
        deployments.add(deployment);
      } else if (object instanceof V1Service service) {
        services.add(service);
      } else if (object instanceof V1ConfigMap configMap) {
        configMaps.add(configMap);
      } else if (object instanceof V1PodDisruptionBudget budget) {
        budgets.add(budget);
      } else if (object instanceof V2HorizontalPodAutoscaler autoscaler) {
        autoscalers.add(autoscaler);
      }
    }
  }

  private static String schemaMessage(RuntimeException e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getMessage() == null) {
      cause = cause.getCause();
    }
    String message = String.valueOf(cause.getMessage());
    for (String cut : QUOTE_MARKERS) {
      int at = message.indexOf(cut);
      if (at > 0) {
        message = message.substring(0, at);
      }
    }
    return "schema: " + message;
  }

  // ---- rules -------------------------------------------------------------------------------------

  private void checkRules() {
    deployments.forEach(this::checkDeployment);
    services.forEach(this::checkService);
    budgets.forEach(budget -> requireSelects("PodDisruptionBudget " + budget.getMetadata().getName(),
      budget.getSpec().getSelector()));
    autoscalers.forEach(this::checkAutoscaler);
  }

  private void checkDeployment(V1Deployment deployment) {
    String label = "Deployment " + deployment.getMetadata().getName();
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata() == null
      ? Map.of()
      : Objects.requireNonNullElse(deployment.getSpec().getTemplate().getMetadata().getLabels(), Map.of());
    if (!matches(deployment.getSpec().getSelector(), podLabels)) {
      problems.add(label + ": selector " + deployment.getSpec().getSelector().getMatchLabels()
        + " does not match the pod template's labels " + podLabels);
    }
    V1PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    if (pod.getSecurityContext() == null || !Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot())) {
      problems.add(label + ": pod securityContext.runAsNonRoot must be true");
    }
    long grace = Objects.requireNonNullElse(pod.getTerminationGracePeriodSeconds(), 30L);
    if (grace < MIN_TERMINATION_GRACE_SECONDS) {
      problems.add(label + ": terminationGracePeriodSeconds " + grace + " leaves no time to drain (at least "
        + MIN_TERMINATION_GRACE_SECONDS + ")");
    }
    List<String> volumes = list(pod.getVolumes()).stream().map(V1Volume::getName).toList();
    for (V1Container container : pod.getContainers()) {
      checkContainer(label + " container " + container.getName(), container, volumes);
    }
  }

  private void checkContainer(String label, V1Container container, List<String> volumes) {
    String image = Objects.requireNonNullElse(container.getImage(), "");
    String lastPart = image.substring(image.lastIndexOf('/') + 1);
    if (!image.contains("@") && (!lastPart.contains(":") || lastPart.endsWith(":latest"))) {
      problems.add(label + ": image '" + image + "' needs a fixed tag (not latest) or a digest");
    }
    checkResources(label, container.getResources());
    var security = container.getSecurityContext();
    if (security == null || !Boolean.TRUE.equals(security.getReadOnlyRootFilesystem())) {
      problems.add(label + ": securityContext.readOnlyRootFilesystem must be true");
    }
    if (security == null || !Boolean.FALSE.equals(security.getAllowPrivilegeEscalation())) {
      problems.add(label + ": securityContext.allowPrivilegeEscalation must be false");
    }
    checkProbe(label, "startupProbe", container.getStartupProbe(), container, PROBE_PATHS);
    checkProbe(label, "livenessProbe", container.getLivenessProbe(), container, Set.of("/health"));
    checkProbe(label, "readinessProbe", container.getReadinessProbe(), container, Set.of("/ready"));
    for (V1VolumeMount mount : list(container.getVolumeMounts())) {
      if (!volumes.contains(mount.getName())) {
        problems.add(label + ": volumeMount " + mount.getName() + " names no volume of the pod");
      }
    }
    for (V1EnvFromSource source : list(container.getEnvFrom())) {
      if (source.getConfigMapRef() != null && !Boolean.TRUE.equals(source.getConfigMapRef().getOptional())) {
        String name = source.getConfigMapRef().getName();
        if (configMaps.stream().noneMatch(map -> map.getMetadata().getName().equals(name))) {
          problems.add(label + ": envFrom names ConfigMap " + name + ", which is not deployed");
        }
      }
    }
  }

  private void checkResources(String label, V1ResourceRequirements resources) {
    for (String resource : List.of("cpu", "memory")) {
      Quantity limit = resources == null || resources.getLimits() == null ? null : resources.getLimits().get(resource);
      Quantity request = resources == null || resources.getRequests() == null ? null : resources.getRequests().get(resource);
      if (limit == null) {
        problems.add(label + ": no " + resource + " limit");
      }
      if (request == null) {
        problems.add(label + ": no " + resource + " request");
      }
      if (limit != null && request != null && request.getNumber().compareTo(limit.getNumber()) > 0) {
        problems.add(label + ": " + resource + " request " + request.toSuffixedString() + " exceeds its limit "
          + limit.toSuffixedString());
      }
    }
  }

  private void checkProbe(String label, String kind, V1Probe probe, V1Container container, Set<String> paths) {
    if (probe == null) {
      problems.add(label + ": no " + kind);
      return;
    }
    if (probe.getHttpGet() == null) {
      problems.add(label + ": " + kind + " must be an httpGet on the service's ops port");
      return;
    }
    if (!paths.contains(probe.getHttpGet().getPath())) {
      problems.add(label + ": " + kind + " path " + probe.getHttpGet().getPath() + " is not one of " + paths);
    }
    if (!declares(container, probe.getHttpGet().getPort())) {
      problems.add(label + ": " + kind + " port " + probe.getHttpGet().getPort() + " is not a port of the container");
    }
  }

  private void checkService(V1Service service) {
    String label = "Service " + service.getMetadata().getName();
    Map<String, String> selector = service.getSpec().getSelector();
    if (selector == null || selector.isEmpty()) {
      problems.add(label + ": no selector");
      return;
    }
    List<V1Container> containers = deployments.stream()
      .filter(d -> podLabels(d).entrySet().containsAll(selector.entrySet()))
      .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
      .toList();
    if (containers.isEmpty()) {
      problems.add(label + ": selector " + selector + " matches no Deployment's pods");
      return;
    }
    for (V1ServicePort port : service.getSpec().getPorts()) {
      IntOrString target = port.getTargetPort() == null ? new IntOrString(port.getPort()) : port.getTargetPort();
      List<V1Container> without = containers.stream().filter(c -> !declares(c, target)).toList();
      if (!without.isEmpty()) {
        problems.add(label + ": targetPort " + target + " is not declared by "
          + without.stream().map(V1Container::getName).toList());
      }
    }
    if ("None".equals(service.getSpec().getClusterIP())
      && !Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses())) {
      problems.add(label + ": a headless Service for cluster discovery must publish not-ready addresses");
    }
  }

  private void checkAutoscaler(V2HorizontalPodAutoscaler autoscaler) {
    String label = "HorizontalPodAutoscaler " + autoscaler.getMetadata().getName();
    var target = autoscaler.getSpec().getScaleTargetRef();
    V1Deployment deployment = deployments.stream()
      .filter(d -> "Deployment".equals(target.getKind()) && d.getMetadata().getName().equals(target.getName()))
      .findFirst().orElse(null);
    if (deployment == null) {
      problems.add(label + ": scaleTargetRef " + target.getKind() + " " + target.getName() + " is not deployed");
      return;
    }
    boolean cpuRequests = deployment.getSpec().getTemplate().getSpec().getContainers().stream()
      .allMatch(c -> c.getResources() != null && c.getResources().getRequests() != null
        && c.getResources().getRequests().containsKey("cpu"));
    if (!cpuRequests) {
      problems.add(label + ": scales on CPU, but a container of " + target.getName() + " has no CPU request");
    }
  }

  private void requireSelects(String label, V1LabelSelector selector) {
    if (deployments.stream().noneMatch(d -> matches(selector, podLabels(d)))) {
      problems.add(label + ": selector matches no Deployment's pods");
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private static boolean matches(V1LabelSelector selector, Map<String, String> labels) {
    if (selector == null || selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty()) {
      return false; // this project selects by labels only; an empty selector selects everything
    }
    return labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
  }

  private static Map<String, String> podLabels(V1Deployment deployment) {
    var metadata = deployment.getSpec().getTemplate().getMetadata();
    return metadata == null || metadata.getLabels() == null ? Map.of() : metadata.getLabels();
  }

  private static boolean declares(V1Container container, IntOrString port) {
    Function<V1ContainerPort, Boolean> same = port.isInteger()
      ? p -> p.getContainerPort().equals(port.getIntValue())
      : p -> port.getStrValue().equals(p.getName());
    return Stream.ofNullable(container.getPorts()).flatMap(List::stream).anyMatch(same::apply);
  }

  private static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : values;
  }
}
