#pragma once
// Manager: runs an operator process (controller-runtime's manager). It owns the Client,
// the shared informers, the event recorder and the metrics registry; it serves /healthz,
// /readyz and /metrics; it starts the informers, waits for their caches, and then (behind
// leader election when enabled) starts the controllers.
//
//   kopp::Manager manager(kopp::from_environment(), options);
//   manager.controller<Memcached>("memcached").owns<Deployment>().build(reconciler);  // registered
//   return manager.run();
//
// Guarantees: /readyz answers 200 only after every informer synced; controllers run only
// while this process leads (when leader election is on), and each reconcile starts only
// while the Lease is held within its renew deadline (LeaderElector::holds_lease()).
// SIGTERM/SIGINT (or request_stop()) stop the controllers at once (no new reconcile, queued
// keys dropped, reconciles in flight cancelled), wait up to graceful_shutdown_timeout for
// the workers to exit, release the Lease and make run() return 0; a stop during the
// initial cache sync does not wait for the sync. A second SIGTERM/SIGINT exits the process
// at once with status 1 (as controller-runtime does). Losing the Lease stops the
// controllers the moment the elector reports it, and run() returns 1, so the pod restarts
// and competes again, as controller-runtime does.
// Errors: run() returns 1 (with a log line saying why) when the caches do not sync in
// cache_sync_timeout or a probe address cannot be bound. Registering the first webhook
// throws when the webhook server's address cannot be bound or its certificate read.
// Caveats: with leader election on, an API server outage longer than the renew deadline
// ends leadership and run() returns 1 (docs/leader-election.md).

#include <kopp/core/detail/config.hpp>
#include <kopp/client/client.hpp>
#include <kopp/runtime/controller/controller.hpp>
#include <kopp/runtime/controller/permissions.hpp>
#include <kopp/runtime/detail/async_latch.hpp>
#include <kopp/runtime/manager/events.hpp>
#include <kopp/runtime/manager/leader_election.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>
#include <kopp/runtime/telemetry/probe_server.hpp>
#include <kopp/runtime/cache/informer_factory.hpp>
#include <kopp/runtime/webhook/admission_webhook.hpp>
#include <kopp/runtime/webhook/conversion.hpp>
#include <kopp/runtime/webhook/delegating_authorizer.hpp>
#include <kopp/runtime/webhook/https_server.hpp>
#include <kopp/runtime/webhook/webhook_configuration.hpp>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kopp {

struct ManagerOptions {
  ManagerOptions() = default;

  /// Watch only this namespace ("" = all namespaces).
  std::string namespace_;
  bool leader_election = false;
  /// The Lease name; required with leader_election.
  std::string leader_election_id;
  /// Where the Lease lives; default: the config's namespace.
  std::string leader_election_namespace;
  /// Lease timings (client-go's and controller-runtime's defaults: 15 s, 10 s, 2 s).
  std::chrono::milliseconds leader_election_lease_duration{15'000};
  std::chrono::milliseconds leader_election_renew_deadline{10'000};
  std::chrono::milliseconds leader_election_retry_period{2'000};
  /// "0" disables; ":8080" listens on every interface.
  std::string metrics_bind_address = "0";
  /// Serve /metrics over HTTPS, each scrape authenticated (TokenReview) and authorized
  /// (SubjectAccessReview: get on the nonResourceURL /metrics) by the API server, as
  /// controller-runtime's --metrics-secure. Needs its own address (not the probes').
  bool metrics_secure = false;
  /// The secure metrics' certificate directory (tls.crt, tls.key, reloaded); empty: the
  /// generated certificate (webhook_hosts), whose CA is serving_ca_bundle().
  std::string metrics_cert_dir;
  std::string health_probe_bind_address = "0";
  /// The webhook server (HTTPS): "0" serves none; controller-runtime's is ":9443". It is
  /// made (the address bound, the certificate read or generated) when the first webhook is
  /// registered, and runs on every replica, leader or not, from run() until the manager
  /// stops; a manager without webhooks opens no port for it.
  std::string webhook_bind_address = "0";
  /// Where its certificate is: tls.crt and tls.key, reloaded when they change (a
  /// cert-manager Secret volume). Empty: a self-signed CA and a certificate for
  /// webhook_hosts are generated at start (local development and tests), and
  /// Manager::serving_ca_bundle() is the caBundle for the webhook configurations.
  std::string webhook_cert_dir;
  /// The generated certificate's host names and IP addresses (the webhook server and
  /// secure metrics without a certificate directory).
  std::vector<std::string> webhook_hosts{"127.0.0.1", "localhost"};
  HttpsServerOptions webhook_server_options;
  /// When set, run() registers the webhooks with the API server before it serves them: it
  /// applies (server-side apply) the Validating/MutatingWebhookConfiguration of this name
  /// for the webhooks registered with webhook<K>(), and points the conversion of every CRD
  /// with a conversion<Hub>() at /convert; both at https://<webhook_hosts[0]>:<port> with
  /// the generated CA as caBundle, or with webhook_cert_dir's ca.crt (cert-manager's Secrets
  /// carry one) when that is set: a webhook server outside the cluster (local development,
  /// tests). In a cluster, leave it empty and deploy the generated YAML.
  std::string webhook_configuration_name;
  /// Threads that run the io_context.
  unsigned threads = 1;
  std::chrono::milliseconds graceful_shutdown_timeout{30'000};
  std::chrono::milliseconds cache_sync_timeout{120'000};
  /// /readyz fails while an informer's LIST/WATCH has been failing for longer than this
  /// (RBAC revoked, CRD deleted, API server unreachable): the cache is going stale.
  std::chrono::milliseconds informer_failure_grace{60'000};
  /// Informer failures are logged at most once per this period per informer (each line
  /// says how many were not logged since).
  std::chrono::milliseconds informer_error_log_period{30'000};
  /// Events' reportingController; default "kopp/<leader_election_id or 'manager'>".
  std::string reporting_controller;
  /// Install SIGTERM/SIGINT handlers in run().
  bool handle_signals = true;
  /// Makes the transport of the manager's Client, on the manager's executor. Empty: HTTP/1.1
  /// to the config's server. Tests run a whole manager on the test kit's in-memory cluster
  /// with kopp::testing::FakeCluster::transport_factory().
  std::function<std::unique_ptr<Transport>(boost::asio::any_io_executor)> transport;
  Logger logger;
};

class Manager {
 public:
  /// Throws api_error / std::invalid_argument for unusable config or options.
  explicit Manager(Config config, ManagerOptions options = ManagerOptions());
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  Client& client() noexcept { return *client_; }
  InformerFactory& informers() noexcept { return *informers_; }
  EventRecorder& recorder() noexcept { return *recorder_; }
  metrics::Registry& registry() noexcept { return metrics::Registry::global(); }
  boost::asio::io_context& io_context() noexcept { return io_; }
  const ManagerOptions& options() const noexcept { return options_; }

  /// A builder already bound to this manager's client, informers, namespace, recorder and
  /// registry; its build() registers the controller with this manager.
  template <Resource K>
  ControllerBuilder<K> controller(std::string name);
  /// A builder that registers K's defaulting and/or validating webhooks on the webhook
  /// server. Throws std::logic_error when webhook_bind_address is "0".
  template <Resource K>
  WebhookBuilder<K> webhook() {
    return WebhookBuilder<K>(webhook_server(), options_.logger, &admission_webhooks_);
  }
  /// A builder that declares Hub the hub of its kind's versions and the spokes' conversions,
  /// served by the conversion webhook at /convert (registered on the first call). Throws
  /// std::logic_error when webhook_bind_address is "0".
  template <Resource Hub>
  ConversionBuilder<Hub> conversion() {
    serve_conversions();
    return ConversionBuilder<Hub>(*conversions_);
  }
  /// What webhook<K>()...build() declared, for generating the webhook configurations
  /// (kopp::webhook_configurations(name, manager.admission_webhooks(), client)).
  const std::vector<AdmissionWebhook>& admission_webhooks() const noexcept { return admission_webhooks_; }
  /// The webhook server, for handlers of your own; made on the first call. Throws
  /// std::logic_error when webhook_bind_address is "0", std::runtime_error when its address
  /// cannot be bound, std::invalid_argument when its certificate cannot be read.
  HttpsServer& webhook_server();
  /// The PEM CA bundle that verifies the certificate the Manager generated (the webhook
  /// server without webhook_cert_dir, secure metrics without metrics_cert_dir); "" when
  /// it generated none.
  const std::string& serving_ca_bundle() const noexcept { return generated_ca_bundle_; }
  /// The webhook server's bound port; 0 until a webhook is registered.
  unsigned short webhook_port() const noexcept { return webhook_server_ ? webhook_server_->port() : 0; }

  /// The RBAC permissions the operator needs (controller/permissions.hpp): those of every
  /// registered controller's declaration, those its options imply (secure metrics:
  /// TokenReviews and SubjectAccessReviews; webhook_configuration_name: the webhook
  /// configurations, and the CRDs it points at /convert), and those given to permits().
  /// cluster_role("manager-role", manager.permissions()) is the operator's ClusterRole. The
  /// leader-election Lease is in a namespaced Role of its own and not included
  /// (leader_election_permissions(), leader_election.hpp).
  [[nodiscard]] Permissions permissions() const;
  /// Declares calls made outside the controllers (a webhook's validator reading a kind
  /// through an informer of its own, say), for permissions().
  template <Resource K>
  Manager& permits(const std::vector<std::string>& verbs, std::string_view subresource = {}) {
    extra_permissions_.template permit<K>(verbs, subresource);
    return *this;
  }
  Manager& permits(std::string_view group, std::string_view resource, const std::vector<std::string>& verbs) {
    extra_permissions_.permit(group, resource, verbs);
    return *this;
  }

  /// Registers a controller made elsewhere (a ControllerBuilder not from controller<K>()).
  /// Adding one that is registered already does nothing.
  void add(std::shared_ptr<ControllerBase> controller);

  /// Runs until stopped (signal, request_stop()) or leadership is lost. Returns the
  /// process exit code: 0 after a graceful stop, 1 on failure or lost leadership.
  int run();
  /// Asks run() to stop gracefully. Thread-safe.
  void request_stop();
  /// True once every informer synced and none has been failing longer than
  /// informer_failure_grace (what /readyz reports).
  bool ready() const;
  /// The port the probe / metrics servers bound (for tests that bind port 0); 0 when off.
  unsigned short health_port() const noexcept { return health_port_.load(); }
  unsigned short metrics_port() const noexcept { return metrics_port_.load(); }

 private:
  boost::asio::awaitable<void> main();
  boost::asio::awaitable<void> start_controllers();
  boost::asio::awaitable<void> stop_controllers();
  boost::asio::awaitable<bool> wait_for_caches();
  void on_leadership_lost();
  void log_informer_error(std::string_view message);
  /// "" when ready; otherwise why not (for /readyz).
  std::string not_ready_reason() const;
  void serve_probes();
  void make_webhook_server();
  std::shared_ptr<ServingCertificate> serving_certificate(const std::string& directory);
  boost::asio::awaitable<void> apply_webhook_configurations();
  /// The caBundle (PEM) of the webhook configurations the manager applies.
  std::string webhook_ca_bundle() const;
  void serve_conversions();

  ManagerOptions options_;
  Logger log_;
  boost::asio::io_context io_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<InformerFactory> informers_;
  std::unique_ptr<EventRecorder> recorder_;
  std::unique_ptr<LeaderElector> elector_;
  std::vector<std::shared_ptr<ControllerBase>> controllers_;
  Permissions extra_permissions_;
  std::vector<std::unique_ptr<ProbeServer>> servers_;
  std::unique_ptr<HttpsServer> webhook_server_;
  std::string generated_ca_bundle_;
  std::shared_ptr<ServingCertificate> generated_certificate_;
  std::unique_ptr<DelegatingAuthorizer> metrics_authorizer_;  // before the server it protects
  std::unique_ptr<HttpsServer> secure_metrics_server_;
  std::vector<AdmissionWebhook> admission_webhooks_;
  std::shared_ptr<ConversionScheme> conversions_;
  std::vector<metrics::CallbackRegistration> cache_gauges_;
  std::atomic<bool> ready_{false};
  detail::AsyncLatch stop_requested_;  // request_stop(), a signal, a lost Lease, a failed sync
  std::atomic<bool> leadership_lost_{false};
  std::atomic<bool> controllers_running_{false};
  std::atomic<bool> controllers_stopped_{false};
  detail::AsyncLatch elector_done_;  // the elector's run() returned
  std::atomic<int> signals_received_{0};
  struct ErrorLogState {
    std::chrono::steady_clock::time_point last_logged;
    std::uint64_t suppressed = 0;
  };
  std::mutex error_log_mutex_;
  std::map<std::string, ErrorLogState, std::less<>> error_log_;  // by informer description
  std::atomic<unsigned short> health_port_{0};
  std::atomic<unsigned short> metrics_port_{0};
  int exit_code_ = 0;
};

}  // namespace kopp

#include <kopp/runtime/manager/impl/manager.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/runtime/manager/impl/manager.ipp>
#endif
