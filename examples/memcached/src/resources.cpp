#include <memcached/resources.hpp>

#include <kopp/runtime/controller/object_helpers.hpp>

#include <algorithm>

namespace memcached {

namespace {

using namespace kopp::api;

constexpr std::string_view port_name = "memcached";
// The memcache user of the official memcached images. Set explicitly because the images
// name it (USER memcache) and the kubelet can only check runAsNonRoot for numeric users.
constexpr std::int64_t memcache_uid = 11211;

core::v1::Probe tcp_probe(std::int32_t initial_delay, std::int32_t period) {
  core::v1::TCPSocketAction tcp;
  tcp.port = kopp::IntOrString(std::string(port_name));
  core::v1::Probe probe;
  probe.tcpSocket = tcp;
  probe.initialDelaySeconds = initial_delay;
  probe.periodSeconds = period;
  return probe;
}

core::v1::Container memcached_container(const Memcached& m) {
  core::v1::Container c;
  c.name = "memcached";
  c.image = image_of(m);
  c.args = {"--port=" + std::to_string(m.spec.port), "--memory-limit=64", "--conn-limit=1024"};
  core::v1::ContainerPort port;
  port.name = std::string(port_name);
  port.containerPort = m.spec.port;
  port.protocol = "TCP";
  c.ports = {port};
  c.livenessProbe = tcp_probe(10, 10);
  c.readinessProbe = tcp_probe(2, 5);
  // --memory-limit=64 (MB of cache) plus connection buffers fits in 128Mi.
  c.resources.requests = {{"cpu", kopp::Quantity("100m")}, {"memory", kopp::Quantity("64Mi")}};
  c.resources.limits = {{"cpu", kopp::Quantity("500m")}, {"memory", kopp::Quantity("128Mi")}};
  core::v1::SecurityContext security;
  security.runAsNonRoot = true;
  security.runAsUser = memcache_uid;
  security.readOnlyRootFilesystem = true;
  security.allowPrivilegeEscalation = false;
  core::v1::Capabilities capabilities;
  capabilities.drop = {"ALL"};
  security.capabilities = capabilities;
  c.securityContext = security;
  return c;
}

}  // namespace

std::map<std::string, std::string> selector_labels(const Memcached& m) {
  return {{std::string(label_name), "memcached"}, {std::string(label_instance), m.metadata.name}};
}

std::map<std::string, std::string> labels_for(const Memcached& m) {
  auto labels = selector_labels(m);
  labels.emplace(label_managed_by, operator_name);
  return labels;
}

std::string image_of(const Memcached& m) {
  return m.spec.image.empty() ? std::string(v1alpha1::default_image) : m.spec.image;
}

Deployment desired_deployment(const Memcached& m) {
  Deployment d;
  d.metadata.name = m.metadata.name;
  d.metadata.namespace_ = m.metadata.namespace_;
  d.metadata.labels = labels_for(m);
  kopp::set_controller_reference(m, d);
  d.spec.replicas = m.spec.size;
  d.spec.selector.matchLabels = selector_labels(m);
  auto& pod = d.spec.template_;
  pod.metadata.labels = labels_for(m);
  core::v1::PodSecurityContext pod_security;
  pod_security.runAsNonRoot = true;
  core::v1::SeccompProfile seccomp;
  seccomp.type = "RuntimeDefault";
  pod_security.seccompProfile = seccomp;
  pod.spec.securityContext = pod_security;
  pod.spec.containers = {memcached_container(m)};
  return d;
}

Service desired_service(const Memcached& m) {
  Service s;
  s.metadata.name = m.metadata.name;
  s.metadata.namespace_ = m.metadata.namespace_;
  s.metadata.labels = labels_for(m);
  kopp::set_controller_reference(m, s);
  s.spec.type = "ClusterIP";
  s.spec.selector = selector_labels(m);
  core::v1::ServicePort port;
  port.name = std::string(port_name);
  port.port = m.spec.port;
  port.targetPort = kopp::IntOrString(std::string(port_name));
  port.protocol = "TCP";
  s.spec.ports = {port};
  return s;
}

std::string inventory_key(const kopp::ObjectKey& key) { return key.namespace_ + "." + key.name; }

std::string endpoint_of(const Memcached& m) {
  return m.metadata.name + "." + m.metadata.namespace_ + ".svc:" + std::to_string(m.spec.port);
}

MemcachedStatus desired_status(const Memcached& m, const Observed& observed, kopp::Time now) {
  MemcachedStatus status = m.status.value_or(MemcachedStatus());
  const std::int64_t generation = m.metadata.generation;
  auto set = [&](kopp::Condition c) { kopp::set_status_condition(status.conditions, std::move(c), now); };

  if (observed.deployment) {
    const auto& d = *observed.deployment;
    const std::int32_t size = m.spec.size;
    const std::int32_t available = d.status.availableReplicas.value_or(0);
    const std::int32_t total = d.status.replicas.value_or(0);
    // The Deployment's status describes its current spec only once its controller has
    // observed that generation; before, the counts may be from the old size.
    const bool current = d.status.observedGeneration.value_or(0) >= d.metadata.generation;
    const std::string counts = std::to_string(available) + "/" + std::to_string(size) + " replicas available";
    if (current && available == size && total == size) {
      set(kopp::make_condition(v1alpha1::condition_available, kopp::condition_true, "AllReplicasAvailable", counts,
                               generation));
      set(kopp::make_condition(v1alpha1::condition_progressing, kopp::condition_false, "Reconciled",
                               "the Deployment runs the requested replicas", generation));
    } else {
      set(kopp::make_condition(v1alpha1::condition_available, kopp::condition_false, "ReplicasUnavailable", counts,
                               generation));
      set(kopp::make_condition(v1alpha1::condition_progressing, kopp::condition_true, "Scaling", counts, generation));
    }
    status.readyReplicas = d.status.readyReplicas.value_or(0);
  } else {
    // Nothing known about the Deployment: say so rather than keep a stale "True".
    set(kopp::make_condition(v1alpha1::condition_available, kopp::condition_unknown, "ReconcileFailed",
                             "the Deployment could not be applied", generation));
    set(kopp::make_condition(v1alpha1::condition_progressing, kopp::condition_false, "ReconcileFailed",
                             "the Deployment could not be applied", generation));
  }
  if (observed.error)
    set(kopp::make_condition(v1alpha1::condition_degraded, kopp::condition_true, "ReconcileFailed", *observed.error,
                             generation));
  else
    set(kopp::make_condition(v1alpha1::condition_degraded, kopp::condition_false, "Reconciled",
                             "the Deployment and the Service are up to date", generation));
  status.nodes = observed.pods;
  std::sort(status.nodes.begin(), status.nodes.end());
  return status;
}

std::vector<kopp::ObjectKey> memcached_of_pod(const kopp::PartialObjectMetadata& pod) {
  const auto& labels = pod.metadata.labels;
  const auto managed = labels.find(std::string(label_managed_by));
  const auto instance = labels.find(std::string(label_instance));
  if (managed == labels.end() || managed->second != operator_name || instance == labels.end()) return {};
  return {kopp::ObjectKey(pod.metadata.namespace_, instance->second)};
}

std::vector<std::string> pod_names(const Memcached& m,
                                   const std::vector<std::shared_ptr<const kopp::PartialObjectMetadata>>& candidates) {
  const auto wanted = selector_labels(m);
  std::vector<std::string> names;
  for (const auto& pod : candidates) {
    if (pod->metadata.namespace_ != m.metadata.namespace_ || pod->metadata.deletionTimestamp) continue;
    const bool matches = std::all_of(wanted.begin(), wanted.end(), [&](const auto& label) {
      const auto it = pod->metadata.labels.find(label.first);
      return it != pod->metadata.labels.end() && it->second == label.second;
    });
    if (matches) names.push_back(pod->metadata.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace memcached
