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
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1KeyToPath;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1NetworkPolicyIngressRule;
import io.kubernetes.client.openapi.models.V1NetworkPolicyPeer;
import io.kubernetes.client.openapi.models.V1NetworkPolicyPort;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1ResourceRequirements;
import io.kubernetes.client.openapi.models.V1SecretVolumeSource;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * and at the services' health paths, every container has requests and limits (memory at most
 * 160 MiB asked, 256 MiB allowed) and runs non-root on
 * a read-only root filesystem, images carry a fixed tag, references (config maps, volumes, scale
 * targets) resolve, and pods are given time to drain. NetworkPolicies select pods and peers that
 * exist and admit ports those pods declare, the cluster's ports from its members alone, and, once
 * ingress is denied by default, every declared port; Secret volumes are private and read-only, and
 * the files the settings name (the cluster certificate) are where the container mounts them.
 */
final class ManifestValidator {

  /** The kinds Switchboard deploys, by {@code apiVersion/kind}. */
  private static final Map<String, Class<?>> MODELS = Map.of(
    "v1/Namespace", V1Namespace.class,
    "v1/ConfigMap", V1ConfigMap.class,
    "v1/Service", V1Service.class,
    "apps/v1/Deployment", V1Deployment.class,
    "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class,
    "autoscaling/v2/HorizontalPodAutoscaler", V2HorizontalPodAutoscaler.class,
    "networking.k8s.io/v1/NetworkPolicy", V1NetworkPolicy.class);

  /** The label of the pods that form the Hazelcast cluster and share the event bus. */
  private static final String MEMBER_LABEL = "switchboard.dev/cluster";
  private static final String MEMBER = "member";
  /** Container ports that only cluster members may reach: Hazelcast's (plaintext) and the bus's. */
  private static final Set<String> MEMBER_PORTS = Set.of("hazelcast", "bus");
  /**
   * The most memory a container may ask for and be allowed: every service, the JVM ones included,
   * fits a small pod (deploy/README.md, "Memory"; the images size the heap from the limit).
   */
  private static final Quantity MAX_MEMORY_REQUEST = Quantity.fromString("160Mi");
  private static final Quantity MAX_MEMORY_LIMIT = Quantity.fromString("256Mi");
  /** The setting that turns TLS on for the event bus: all members have it, or none. */
  private static final String BUS_TLS_CERT = "SWITCHBOARD_CLUSTER_BUS_TLS_CERT";
  /** Settings whose value is a file the container reads: it must be in a volume mounted there. */
  private static final Set<String> FILE_SETTINGS = Set.of(BUS_TLS_CERT, "SWITCHBOARD_CLUSTER_BUS_TLS_KEY",
    "SWITCHBOARD_CLUSTER_BUS_TLS_CA", "SWITCHBOARD_AUTH_JWKS", "SWITCHBOARD_GATEWAY_TLS_CERT", "SWITCHBOARD_GATEWAY_TLS_KEY");
  /** File modes of a Secret volume may give others nothing: a key is for the pod's user and group. */
  private static final int OTHERS = 0007;

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
  private final List<V1NetworkPolicy> policies = new ArrayList<>();

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

  /** How many Deployments make pods labelled as cluster members. */
  static long clusterMembers(String yaml) {
    ManifestValidator validator = new ManifestValidator();
    validator.read(yaml);
    return validator.deployments.stream().filter(d -> MEMBER.equals(podLabels(d).get(MEMBER_LABEL))).count();
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
      } else if (object instanceof V1NetworkPolicy policy) {
        policies.add(policy);
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
    policies.forEach(this::checkNetworkPolicy);
    checkIngressCoverage();
    checkBusTlsEverywhereOrNowhere();
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
    for (V1Volume volume : list(pod.getVolumes())) {
      if (volume.getSecret() != null) {
        checkSecretVolume(label + " volume " + volume.getName(), volume.getSecret());
      }
    }
    for (V1Container container : pod.getContainers()) {
      checkContainer(label + " container " + container.getName(), container, volumes);
      checkFileSettings(label + " container " + container.getName(), container, pod);
    }
  }

  /** A Secret's files readable by the pod's user and group only, mounted read-only. */
  private void checkSecretVolume(String label, V1SecretVolumeSource secret) {
    Integer mode = secret.getDefaultMode();
    if (mode == null) {
      problems.add(label + ": a Secret volume needs a defaultMode (Kubernetes' default, 0644, lets every user read it)");
    } else if ((mode & OTHERS) != 0) {
      problems.add(label + ": defaultMode 0" + Integer.toOctalString(mode) + " lets other users read the Secret (at most 0440)");
    }
    for (V1KeyToPath item : list(secret.getItems())) {
      if (item.getMode() != null && (item.getMode() & OTHERS) != 0) {
        problems.add(label + ": item " + item.getKey() + " mode 0" + Integer.toOctalString(item.getMode()) + " lets other users read it");
      }
    }
  }

  /**
   * A setting that names a file (a certificate, a key, a JWKS file) points into a volume the
   * container mounts, and at a file that volume has; a Secret volume is mounted read-only.
   */
  private void checkFileSettings(String label, V1Container container, V1PodSpec pod) {
    Map<String, V1Volume> volumes = new HashMap<>();
    list(pod.getVolumes()).forEach(v -> volumes.put(v.getName(), v));
    for (V1VolumeMount mount : list(container.getVolumeMounts())) {
      V1Volume volume = volumes.get(mount.getName());
      if (volume != null && volume.getSecret() != null && !Boolean.TRUE.equals(mount.getReadOnly())) {
        problems.add(label + ": Secret volume " + mount.getName() + " must be mounted readOnly");
      }
    }
    environment(container).forEach((name, value) -> {
      if (!FILE_SETTINGS.contains(name) || value.isEmpty() || value.contains("://")) {
        return;
      }
      V1VolumeMount mount = list(container.getVolumeMounts()).stream()
        .filter(m -> value.startsWith(m.getMountPath().endsWith("/") ? m.getMountPath() : m.getMountPath() + "/"))
        .findFirst().orElse(null);
      if (mount == null) {
        problems.add(label + ": " + name + "=" + value + " is in no volume the container mounts");
        return;
      }
      V1Volume volume = volumes.get(mount.getName());
      if (volume != null && volume.getSecret() != null && volume.getSecret().getItems() != null) {
        String file = value.substring(mount.getMountPath().length()).replaceFirst("^/", "");
        List<String> paths = volume.getSecret().getItems().stream().map(V1KeyToPath::getPath).toList();
        if (!paths.contains(file)) {
          problems.add(label + ": " + name + "=" + value + " names " + file + ", which Secret volume " + mount.getName()
            + " does not project (it has " + paths + ")");
        }
      }
    });
  }

  /** The container's environment as the kubelet sets it: envFrom ConfigMaps in order, then env values. */
  private Map<String, String> environment(V1Container container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (V1EnvFromSource source : list(container.getEnvFrom())) {
      if (source.getConfigMapRef() == null) {
        continue;
      }
      String prefix = Objects.requireNonNullElse(source.getPrefix(), "");
      configMaps.stream()
        .filter(map -> map.getMetadata().getName().equals(source.getConfigMapRef().getName()))
        .findFirst()
        .ifPresent(map -> Objects.requireNonNullElse(map.getData(), Map.<String, String>of())
          .forEach((key, value) -> env.put(prefix + key, value)));
    }
    for (V1EnvVar variable : list(container.getEnv())) {
      if (variable.getValue() != null) {
        env.put(variable.getName(), variable.getValue());
      }
    }
    return env;
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
    Quantity memoryRequest = resources == null || resources.getRequests() == null ? null : resources.getRequests().get("memory");
    Quantity memoryLimit = resources == null || resources.getLimits() == null ? null : resources.getLimits().get("memory");
    if (memoryRequest != null && memoryRequest.getNumber().compareTo(MAX_MEMORY_REQUEST.getNumber()) > 0) {
      problems.add(label + ": memory request " + memoryRequest.toSuffixedString() + " is above "
        + MAX_MEMORY_REQUEST.toSuffixedString() + ", what a service may ask for");
    }
    if (memoryLimit != null && memoryLimit.getNumber().compareTo(MAX_MEMORY_LIMIT.getNumber()) > 0) {
      problems.add(label + ": memory limit " + memoryLimit.toSuffixedString() + " is above "
        + MAX_MEMORY_LIMIT.toSuffixedString() + ", what a service may be allowed");
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

  // ---- network policies --------------------------------------------------------------------------

  /**
   * A policy selects pods that exist, by labels, and admits named TCP ports those pods declare,
   * from peers that exist. An empty podSelector (every pod of the namespace) is for a policy that
   * denies; one that opens ports names its pods. Traffic from anywhere may reach only ports a
   * LoadBalancer or NodePort Service publishes; Hazelcast's and the bus's ports only cluster members.
   */
  private void checkNetworkPolicy(V1NetworkPolicy policy) {
    String label = "NetworkPolicy " + policy.getMetadata().getName();
    var spec = policy.getSpec();
    List<String> types = list(spec.getPolicyTypes());
    if (!types.contains("Ingress")) {
      problems.add(label + ": policyTypes must state Ingress");
    }
    V1LabelSelector selector = spec.getPodSelector();
    if (hasExpressions(selector)) {
      problems.add(label + ": podSelector uses matchExpressions; this project selects by matchLabels");
      return;
    }
    List<V1NetworkPolicyIngressRule> rules = list(spec.getIngress());
    if (isEmpty(selector)) {
      if (!rules.isEmpty()) {
        problems.add(label + ": an empty podSelector opens ports on every pod of the namespace; name the pods");
      }
      return;
    }
    List<V1Deployment> selected = deployments.stream().filter(d -> matches(selector, podLabels(d))).toList();
    if (selected.isEmpty()) {
      problems.add(label + ": podSelector " + selector.getMatchLabels() + " matches no Deployment's pods");
      return;
    }
    for (int i = 0; i < rules.size(); i++) {
      checkIngressRule(label + " ingress[" + i + "]", rules.get(i), selected);
    }
  }

  private void checkIngressRule(String label, V1NetworkPolicyIngressRule rule, List<V1Deployment> selected) {
    List<V1NetworkPolicyPort> ports = list(rule.getPorts());
    if (ports.isEmpty()) {
      problems.add(label + ": admits every port; name the ports");
      return;
    }
    List<V1NetworkPolicyPeer> from = list(rule.getFrom());
    for (V1NetworkPolicyPeer peer : from) {
      if (peer.getPodSelector() != null && hasExpressions(peer.getPodSelector())) {
        problems.add(label + ": a from podSelector uses matchExpressions; this project selects by matchLabels");
      } else if (peer.getPodSelector() != null && peer.getNamespaceSelector() == null && !isEmpty(peer.getPodSelector())
        && deployments.stream().noneMatch(d -> matches(peer.getPodSelector(), podLabels(d)))) {
        problems.add(label + ": from podSelector " + peer.getPodSelector().getMatchLabels() + " matches no Deployment's pods");
      }
    }
    boolean fromAnywhere = from.isEmpty() || from.stream().anyMatch(p -> p.getIpBlock() != null);
    boolean membersOnly = !from.isEmpty() && from.stream().allMatch(p -> p.getIpBlock() == null && p.getNamespaceSelector() == null
      && p.getPodSelector() != null && p.getPodSelector().getMatchLabels() != null
      && MEMBER.equals(p.getPodSelector().getMatchLabels().get(MEMBER_LABEL)));
    for (V1NetworkPolicyPort port : ports) {
      if (port.getProtocol() != null && !"TCP".equals(port.getProtocol())) {
        problems.add(label + ": port " + port.getPort() + " is " + port.getProtocol() + "; every Switchboard port is TCP");
      }
      if (port.getPort() == null || port.getEndPort() != null) {
        problems.add(label + ": name each port exactly (no missing port, no endPort range)");
        continue;
      }
      IntOrString number = port.getPort();
      for (V1Deployment deployment : selected) {
        List<V1ContainerPort> declared = containerPorts(deployment, number);
        if (declared.isEmpty()) {
          problems.add(label + ": port " + number + " is not a port of " + deployment.getMetadata().getName() + "'s pods");
          continue;
        }
        boolean memberPort = declared.stream().anyMatch(p -> MEMBER_PORTS.contains(p.getName()));
        if (memberPort && !membersOnly) {
          problems.add(label + ": port " + number + " of " + deployment.getMetadata().getName()
            + " is a cluster port and must be reachable from pods labelled " + MEMBER_LABEL + "=" + MEMBER + " only");
        }
        if (fromAnywhere && declared.stream().noneMatch(p -> published(deployment, p))) {
          problems.add(label + ": port " + number + " of " + deployment.getMetadata().getName()
            + " is open to every address, but no LoadBalancer or NodePort Service publishes it");
        }
      }
    }
  }

  /**
   * Once a policy denies by default, every port a pod declares must be admitted by some policy
   * (otherwise the port is dead, or something the pods need, Hazelcast or the bus, is cut off).
   */
  private void checkIngressCoverage() {
    boolean denyByDefault = policies.stream().anyMatch(p -> isEmpty(p.getSpec().getPodSelector())
      && list(p.getSpec().getPolicyTypes()).contains("Ingress") && list(p.getSpec().getIngress()).isEmpty());
    if (!denyByDefault) {
      return;
    }
    for (V1Deployment deployment : deployments) {
      for (V1Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
        for (V1ContainerPort port : list(container.getPorts())) {
          boolean admitted = policies.stream()
            .filter(p -> !isEmpty(p.getSpec().getPodSelector()) && matches(p.getSpec().getPodSelector(), podLabels(deployment)))
            .flatMap(p -> list(p.getSpec().getIngress()).stream())
            .flatMap(rule -> list(rule.getPorts()).stream())
            .anyMatch(p -> p.getPort() != null && sameTcpPort(p, port));
          if (!admitted) {
            problems.add("Deployment " + deployment.getMetadata().getName() + ": port " + port.getName() + " ("
              + port.getContainerPort() + ") is admitted by no NetworkPolicy, and the namespace denies ingress by default");
          }
        }
      }
    }
  }

  /**
   * The event bus over TLS on every cluster member or on none: a member without the certificate
   * can neither send to nor receive from those with it.
   */
  private void checkBusTlsEverywhereOrNowhere() {
    Map<String, Boolean> tls = new LinkedHashMap<>();
    for (V1Deployment deployment : deployments) {
      if (!MEMBER.equals(podLabels(deployment).get(MEMBER_LABEL))) {
        continue;
      }
      boolean on = deployment.getSpec().getTemplate().getSpec().getContainers().stream()
        .anyMatch(c -> !environment(c).getOrDefault(BUS_TLS_CERT, "").isEmpty());
      tls.put(deployment.getMetadata().getName(), on);
    }
    List<String> with = tls.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList();
    List<String> without = tls.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    if (!with.isEmpty() && !without.isEmpty()) {
      problems.add("cluster members " + without + " run the event bus without TLS (" + BUS_TLS_CERT + ") while "
        + with + " require it: they could not exchange a message");
    }
  }

  private static boolean sameTcpPort(V1NetworkPolicyPort rule, V1ContainerPort port) {
    if (rule.getProtocol() != null && !"TCP".equals(rule.getProtocol())) {
      return false;
    }
    IntOrString number = rule.getPort();
    return number.isInteger() ? number.getIntValue().equals(port.getContainerPort()) : number.getStrValue().equals(port.getName());
  }

  private static List<V1ContainerPort> containerPorts(V1Deployment deployment, IntOrString port) {
    V1NetworkPolicyPort rule = new V1NetworkPolicyPort().port(port);
    return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
      .flatMap(c -> list(c.getPorts()).stream())
      .filter(p -> sameTcpPort(rule, p))
      .toList();
  }

  /** Whether a LoadBalancer or NodePort Service sends outside traffic to this port of the deployment's pods. */
  private boolean published(V1Deployment deployment, V1ContainerPort port) {
    return services.stream()
      .filter(s -> "LoadBalancer".equals(s.getSpec().getType()) || "NodePort".equals(s.getSpec().getType()))
      .filter(s -> s.getSpec().getSelector() != null && !s.getSpec().getSelector().isEmpty()
        && podLabels(deployment).entrySet().containsAll(s.getSpec().getSelector().entrySet()))
      .flatMap(s -> list(s.getSpec().getPorts()).stream())
      .map(p -> p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort())
      .anyMatch(target -> target.isInteger() ? target.getIntValue().equals(port.getContainerPort()) : target.getStrValue().equals(port.getName()));
  }

  private static boolean isEmpty(V1LabelSelector selector) {
    return selector == null || ((selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
      && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty()));
  }

  private static boolean hasExpressions(V1LabelSelector selector) {
    return selector != null && selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty();
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
