#pragma once

#include <kopp/runtime/manager/manager.hpp>

#include <kopp/client/detail/file.hpp>
#include <kopp/client/detail/pem.hpp>
#include <kopp/client/dynamic_api.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/parse.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <utility>
#include <thread>

namespace kopp {

KOPP_DECL Manager::Manager(Config config, ManagerOptions options)
    : options_(std::move(options)), log_(options_.logger.with({{"component", "manager"}})) {
  if (options_.leader_election && options_.leader_election_id.empty())
    throw std::invalid_argument("leader election needs ManagerOptions::leader_election_id (the Lease's name)");
  if (options_.threads == 0) throw std::invalid_argument("ManagerOptions::threads must be at least 1");
  if (options_.metrics_secure) {
    const auto metrics = parse_bind_address(options_.metrics_bind_address);
    const auto health = parse_bind_address(options_.health_probe_bind_address);
    if (metrics && health && *metrics == *health && metrics->port() != 0)
      throw std::invalid_argument(
          "secure metrics need their own address: metrics_bind_address and "
          "health_probe_bind_address are both " +
          options_.metrics_bind_address + " (the kubelet probes over plain HTTP)");
  }
  if (options_.leader_election_namespace.empty()) options_.leader_election_namespace = config.default_namespace;
  // rest_client_requests_total{code,method,host}, as client-go's metrics name it.
  auto& requests = metrics::Registry::global().counter(
      "rest_client_requests_total", "Number of HTTP requests, partitioned by status code, method, and host.",
      {"code", "method", "host"});
  auto server = boost::urls::parse_uri(config.server);
  std::string host = server ? std::string(server->encoded_host_and_port()) : config.server;
  ClientOptions client_options;
  client_options.on_request = [&requests, host](const RequestRecord& r) {
    requests
        .with({{"code", r.status ? std::to_string(r.status) : std::string("<error>")},
               {"method", std::string(boost::beast::http::to_string(r.method))},
               {"host", host}})
        .inc();
  };
  client_ = options_.transport
                ? std::make_unique<Client>(options_.transport(io_.get_executor()), std::move(config),
                                           std::move(client_options))
                : std::make_unique<Client>(io_.get_executor(), std::move(config), std::move(client_options));
  InformerFactoryOptions informer_options;
  informer_options.on_error = [this](std::string_view message) { log_informer_error(message); };
  informers_ = std::make_unique<InformerFactory>(*client_, io_.get_executor(), std::move(informer_options));
  EventRecorderOptions events;
  events.reporting_controller =
      !options_.reporting_controller.empty()
          ? options_.reporting_controller
          : "kopp/" + (options_.leader_election_id.empty() ? std::string("manager") : options_.leader_election_id);
  events.logger = options_.logger;
  recorder_ = std::make_unique<EventRecorder>(*client_, events);
}

KOPP_DECL std::shared_ptr<ServingCertificate> Manager::serving_certificate(const std::string& directory) {
  if (!directory.empty()) return ServingCertificate::from_directory(directory, "tls.crt", "tls.key", options_.logger);
  if (!generated_certificate_) {
    const auto generated = make_self_signed_certificate(options_.webhook_hosts);
    generated_certificate_ = ServingCertificate::from_pem(generated.certificate_pem, generated.private_key_pem);
    generated_ca_bundle_ = generated.ca_pem;
  }
  return generated_certificate_;
}

KOPP_DECL void Manager::make_webhook_server() {
  const auto endpoint = parse_bind_address(options_.webhook_bind_address);
  if (!endpoint) return;
  auto certificate = serving_certificate(options_.webhook_cert_dir);
  try {
    webhook_server_ = std::make_unique<HttpsServer>(io_.get_executor(), *endpoint, std::move(certificate),
                                                    options_.webhook_server_options, options_.logger);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot serve webhooks on " + endpoint->address().to_string() + ":" +
                             std::to_string(endpoint->port()) + ": " + e.code().message());
  }
  log_.info(
      "webhook server listening",
      {{"port", webhook_server_->port()},
       {"certificate", options_.webhook_cert_dir.empty() ? std::string("self-signed") : options_.webhook_cert_dir}});
}

KOPP_DECL void Manager::serve_conversions() {
  if (conversions_) return;
  auto& server = webhook_server();
  conversions_ = std::make_shared<ConversionScheme>();
  server.handle("/convert", conversion_https_handler(conversions_, "/convert", options_.logger));
}

KOPP_DECL std::string Manager::webhook_ca_bundle() const {
  if (options_.webhook_cert_dir.empty()) return generated_ca_bundle_;
  const auto path = std::filesystem::path(options_.webhook_cert_dir) / "ca.crt";
  std::error_code ec;
  auto pem = detail::read_file(path, ec, 1u << 20);
  if (ec == std::errc::no_such_file_or_directory) {
    // The API server then verifies the certificate against its system roots.
    log_.warn("no ca.crt in the webhook certificate directory: the webhook configurations get no caBundle",
              {{"file", path.string()}});
    return {};
  }
  if (ec) throw std::runtime_error("cannot read the webhook CA bundle " + path.string() + ": " + ec.message());
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    throw std::runtime_error("the webhook CA bundle " + path.string() + " holds no PEM certificate");
  return pem;
}

KOPP_DECL boost::asio::awaitable<void> Manager::apply_webhook_configurations() {
  if (options_.webhook_configuration_name.empty()) co_return;
  const std::string host = options_.webhook_hosts.empty() ? std::string("127.0.0.1") : options_.webhook_hosts.front();
  WebhookClientConfig target;
  target.url = "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
               std::to_string(webhook_server_->port());
  target.ca_bundle_pem = webhook_ca_bundle();
  if (!admission_webhooks_.empty()) {
    for (auto& configuration :
         webhook_configurations(options_.webhook_configuration_name, admission_webhooks_, target)) {
      auto& object = configuration.as_object();
      const bool validating = object.at("kind") == "ValidatingWebhookConfiguration";
      DynamicApi api(
          *client_,
          ApiResource{"admissionregistration.k8s.io", "v1", std::string(object.at("kind").as_string()),
                      validating ? "validatingwebhookconfigurations" : "mutatingwebhookconfigurations", false});
      PatchParams params = PatchParams::apply("kopp-manager");
      params.force = true;
      co_await api.patch(options_.webhook_configuration_name, Patch::apply(std::move(configuration)), params);
    }
    log_.info("webhook configurations applied",
              {{"name", options_.webhook_configuration_name}, {"webhooks", admission_webhooks_.size()}});
  }
  if (conversions_) {
    DynamicApi crds(*client_, ApiResource{"apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                                          "customresourcedefinitions", false});
    // "service": null drops the in-cluster Service a shipped CRD names (the API server
    // refuses a clientConfig with both).
    boost::json::object client_config{{"url", target.url + "/convert"}, {"service", nullptr}};
    if (!target.ca_bundle_pem.empty()) client_config["caBundle"] = detail::base64_encode(target.ca_bundle_pem);
    for (const auto& name : conversions_->crd_names()) {
      boost::json::object patch{
          {"spec",
           {{"conversion",
             {{"strategy", "Webhook"},
              {"webhook", {{"clientConfig", client_config}, {"conversionReviewVersions", {"v1"}}}}}}}}};
      co_await crds.patch(name, Patch::merge(std::move(patch)));
      log_.info("CRD conversion pointed at the webhook server", {{"crd", name}});
    }
  }
}

KOPP_DECL HttpsServer& Manager::webhook_server() {
  if (!webhook_server_) make_webhook_server();
  if (!webhook_server_)
    throw std::logic_error("the webhook server is off: set ManagerOptions::webhook_bind_address (e.g. \":9443\")");
  return *webhook_server_;
}

KOPP_DECL Manager::~Manager() {
  // Handlers still queued refer to members; drop them before the members go.
  io_.stop();
}

KOPP_DECL void Manager::add(std::shared_ptr<ControllerBase> controller) {
  if (!controller) throw std::invalid_argument("Manager::add(nullptr)");
  // A controller built from controller<K>() is added by build(); adding it again is a no-op.
  if (std::find(controllers_.begin(), controllers_.end(), controller) != controllers_.end()) return;
  controllers_.push_back(std::move(controller));
}

KOPP_DECL Permissions Manager::permissions() const {
  Permissions out = extra_permissions_;
  for (const auto& controller : controllers_) out.merge(controller->permissions());
  if (options_.metrics_secure) {
    out.permit("authentication.k8s.io", "tokenreviews", {"create"});
    out.permit("authorization.k8s.io", "subjectaccessreviews", {"create"});
  }
  if (!options_.webhook_configuration_name.empty()) {
    // Server-side apply of the configurations (the API server checks create too when the
    // apply creates one); a merge patch of each converted CRD.
    out.permit("admissionregistration.k8s.io", "validatingwebhookconfigurations", {"create", "patch"});
    out.permit("admissionregistration.k8s.io", "mutatingwebhookconfigurations", {"create", "patch"});
    if (conversions_) out.permit("apiextensions.k8s.io", "customresourcedefinitions", {"patch"});
  }
  return out;
}

KOPP_DECL void Manager::request_stop() { stop_requested_.set(); }

KOPP_DECL std::string Manager::not_ready_reason() const {
  if (!ready_) return "informer caches have not synced";
  const auto now = std::chrono::steady_clock::now();
  std::string failing;
  for (const auto& informer : informers_->informers()) {
    const auto since = informer->failing_since();
    if (!since || now - *since <= options_.informer_failure_grace) continue;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - *since).count();
    failing +=
        (failing.empty() ? "" : "; ") + informer->description() + ": failing for " + std::to_string(seconds) + " s";
  }
  // The errors themselves are in the log: they name the API server and requests.
  return failing.empty() ? std::string() : "informers failing to list or watch (" + failing + ")";
}

KOPP_DECL bool Manager::ready() const { return not_ready_reason().empty(); }

KOPP_DECL void Manager::log_informer_error(std::string_view message) {
  // Messages start "LIST <description>: " or "WATCH <description>: ".
  const auto space = message.find(' ');
  const auto colon = message.find(": ", space == std::string_view::npos ? 0 : space);
  const std::string_view informer = space != std::string_view::npos && colon != std::string_view::npos
                                        ? message.substr(space + 1, colon - space - 1)
                                        : std::string_view("informer");
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(error_log_mutex_);
    auto it = error_log_.find(informer);
    if (it == error_log_.end()) {
      if (error_log_.size() >= 1024) error_log_.clear();  // bounded, whatever the messages
      it = error_log_.emplace(std::string(informer), ErrorLogState{now, 0}).first;
    } else if (now - it->second.last_logged < options_.informer_error_log_period) {
      ++it->second.suppressed;
      return;
    } else {
      suppressed = std::exchange(it->second.suppressed, 0);
      it->second.last_logged = now;
    }
  }
  log_.warn("informer request failed; retrying with backoff",
            {{"informer", std::string(informer)}, {"error", std::string(message)}, {"not_logged_since", suppressed}});
}

KOPP_DECL void Manager::serve_probes() {
  auto health = parse_bind_address(options_.health_probe_bind_address);
  auto metrics = parse_bind_address(options_.metrics_bind_address);
  auto add_health = [this](ProbeServer& server) {
    server.handle("/healthz", [] { return ProbeResponse(200, "ok\n"); });
    server.handle("/readyz", [this] {
      const std::string reason = not_ready_reason();
      return reason.empty() ? ProbeResponse(200, "ok\n") : ProbeResponse(503, reason + "\n");
    });
  };
  auto add_metrics = [](ProbeServer& server) {
    server.handle("/metrics", [] {
      return ProbeResponse(200, metrics::Registry::global().render(), std::string(metrics::text_content_type));
    });
  };
  auto make = [this](boost::asio::ip::tcp::endpoint endpoint, std::string_view what) -> ProbeServer& {
    try {
      servers_.push_back(
          std::make_unique<ProbeServer>(io_.get_executor(), endpoint, ProbeServerOptions(), options_.logger));
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot serve " + std::string(what) + " on " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + e.code().message());
    }
    return *servers_.back();
  };
  if (health && metrics && *health == *metrics && health->port() != 0) {
    auto& server = make(*health, "health probes and metrics");
    add_health(server);
    add_metrics(server);
    health_port_ = metrics_port_ = server.port();
  } else {
    if (health) {
      auto& server = make(*health, "health probes");
      add_health(server);
      health_port_ = server.port();
    }
    if (metrics && !options_.metrics_secure) {
      auto& server = make(*metrics, "metrics");
      add_metrics(server);
      metrics_port_ = server.port();
    }
  }
  if (metrics && options_.metrics_secure) {
    try {
      secure_metrics_server_ =
          std::make_unique<HttpsServer>(io_.get_executor(), *metrics, serving_certificate(options_.metrics_cert_dir),
                                        HttpsServerOptions(), options_.logger);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot serve secure metrics on " + metrics->address().to_string() + ":" +
                               std::to_string(metrics->port()) + ": " + e.code().message());
    }
    metrics_authorizer_ =
        std::make_unique<DelegatingAuthorizer>(*client_, DelegatingAuthorizerOptions(), options_.logger);
    secure_metrics_server_->handle(
        "/metrics", metrics_authorizer_->protect([](const HttpsRequest&) -> boost::asio::awaitable<HttpsResponse> {
          co_return HttpsResponse(200, metrics::Registry::global().render(), std::string(metrics::text_content_type));
        }));
    metrics_port_ = secure_metrics_server_->port();
    boost::asio::co_spawn(io_, secure_metrics_server_->run(), boost::asio::detached);
  }
  for (auto& server : servers_) boost::asio::co_spawn(io_, server->run(), boost::asio::detached);
}

KOPP_DECL boost::asio::awaitable<void> Manager::start_controllers() {
  if (controllers_stopped_ || controllers_running_.exchange(true)) co_return;
  if (elector_) {
    LeaderElector* elector = elector_.get();
    for (auto& c : controllers_) c->set_leadership_check([elector] { return elector->holds_lease(); });
  }
  for (auto& c : controllers_) c->start(io_.get_executor());
  log_.info("controllers started", {{"controllers", controllers_.size()}});
}

KOPP_DECL void Manager::on_leadership_lost() {
  // Runs on the elector's strand the moment it gives up the Lease: stop every controller
  // now rather than when run() returns (it may wait minutes for a hung request).
  controllers_stopped_ = true;
  for (auto& c : controllers_) c->stop();
  leadership_lost_ = true;
  stop_requested_.set();
}

KOPP_DECL boost::asio::awaitable<void> Manager::stop_controllers() {
  controllers_stopped_ = true;
  if (!controllers_running_.exchange(false)) co_return;
  for (auto& c : controllers_) c->stop();
  const auto deadline = std::chrono::steady_clock::now() + options_.graceful_shutdown_timeout;
  for (auto& c : controllers_) {
    const auto left =
        std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    const bool stopped = co_await c->wait_stopped(left);
    if (!stopped)
      log_.warn("reconciles still running after the graceful shutdown timeout", {{"controller", c->name()}});
  }
}

KOPP_DECL boost::asio::awaitable<void> Manager::main() {
  serve_probes();
  if (webhook_server_) {
    boost::asio::co_spawn(io_, webhook_server_->run(), boost::asio::detached);
    co_await apply_webhook_configurations();
  }
  log_.info("starting informers");
  informers_->start();
  const bool synced = co_await wait_for_caches();
  if (!synced && !stop_requested_.is_set()) {
    log_.error("informer caches did not sync", {{"timeout_ms", options_.cache_sync_timeout.count()}});
    exit_code_ = 1;
    stop_requested_.set();
  }
  if (synced) {
    ready_ = true;
    log_.info("informer caches synced");
    auto& objects = metrics::Registry::global().gauge_callback("kopp_informer_cached_objects",
                                                               "Objects in an informer's cache", {"informer"});
    auto& bytes = metrics::Registry::global().gauge_callback(
        "kopp_informer_cached_bytes", "Approximate bytes of the objects in an informer's cache (JSON size)",
        {"informer"});
    auto& healthy = metrics::Registry::global().gauge_callback(
        "kopp_informer_healthy", "1 while an informer's last LIST/WATCH attempt succeeded, 0 while it keeps failing",
        {"informer"});
    for (auto& informer : informers_->informers()) {
      std::weak_ptr<InformerBase> weak = informer;
      cache_gauges_.push_back(objects.set({{"informer", informer->description()}}, [weak] {
        auto i = weak.lock();
        return i ? static_cast<double>(i->size()) : 0.0;
      }));
      cache_gauges_.push_back(bytes.set({{"informer", informer->description()}}, [weak] {
        auto i = weak.lock();
        return i ? static_cast<double>(i->approximate_bytes()) : 0.0;
      }));
      cache_gauges_.push_back(healthy.set({{"informer", informer->description()}}, [weak] {
        auto i = weak.lock();
        return i && !i->failing_since() ? 1.0 : 0.0;
      }));
    }
  }

  if (!stop_requested_.is_set()) {
    if (options_.leader_election) {
      LeaderElectionOptions election;
      election.lease_name = options_.leader_election_id;
      election.lease_namespace = options_.leader_election_namespace;
      election.lease_duration = options_.leader_election_lease_duration;
      election.renew_deadline = options_.leader_election_renew_deadline;
      election.retry_period = options_.leader_election_retry_period;
      election.logger = options_.logger;
      election.on_started_leading = [this] { boost::asio::co_spawn(io_, start_controllers(), boost::asio::detached); };
      election.on_stopped_leading = [this] {
        if (!stop_requested_.is_set()) on_leadership_lost();
      };
      elector_ = std::make_unique<LeaderElector>(*client_, election);
      log_.info("waiting for leadership",
                {{"lease", options_.leader_election_namespace + "/" + options_.leader_election_id},
                 {"identity", elector_->identity()}});
      // The handler may run after main() returned (threads > 1): it touches members only.
      boost::asio::co_spawn(io_, elector_->run(), [this](std::exception_ptr e) {
        if (e) log_.error("leader election failed");
        elector_done_.set();
        // run() returned while we did not ask: the Lease is lost.
        if (!stop_requested_.is_set()) on_leadership_lost();
      });
    } else {
      co_await start_controllers();
    }
  }
  co_await stop_requested_.wait();

  log_.info("stopping");
  ready_ = false;
  co_await stop_controllers();
  if (elector_) {
    elector_->stop();  // releases the Lease after our controllers stopped: no overlap
    // After a loss nothing is left to release; the elector may still wait for a hung
    // request, which must not hold the exit.
    const auto patience = leadership_lost_ ? std::chrono::seconds(1) : std::chrono::seconds(10);
    co_await elector_done_.wait(patience);
  }
  if (leadership_lost_) {
    log_.error("leader election lost");
    exit_code_ = 1;
  }
  try {
    co_await recorder_->close();
  } catch (const std::exception& e) {
    log_.warn("events not flushed", {{"error", e.what()}});
  }
  informers_->stop();
  for (auto& server : servers_) {
    server->stop();
    // stop() is posted to the server's strand: wait for it, so that nothing answers once
    // run() returned.
    co_await boost::asio::post(server->executor(), boost::asio::use_awaitable);
  }
  for (auto* server : {webhook_server_.get(), secure_metrics_server_.get()}) {
    if (!server) continue;
    server->stop();
    co_await boost::asio::post(server->executor(), boost::asio::use_awaitable);
  }
  log_.info("stopped", {{"exit_code", exit_code_}});
}

KOPP_DECL boost::asio::awaitable<bool> Manager::wait_for_caches() {
  // Each informer's sync or a stop, whichever comes first: a stop during the sync does not
  // wait out cache_sync_timeout.
  const auto deadline = std::chrono::steady_clock::now() + options_.cache_sync_timeout;
  for (const auto& informer : informers_->informers()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      if (!informer->has_synced()) co_return false;
      continue;
    }
    co_await detail::wait_any(informer->sync_settled(), stop_requested_, left);
    if (stop_requested_.is_set() || !informer->has_synced()) co_return false;
  }
  co_return true;
}

KOPP_DECL int Manager::run() {
  std::exception_ptr failure;
  boost::asio::signal_set signals(io_);
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [this, &signals, &on_signal](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (++signals_received_ == 1) {
      log_.info("signal received: stopping gracefully (a second one exits at once)", {{"signal", signal}});
      request_stop();
      signals.async_wait(on_signal);
      return;
    }
    log_.error("second signal received: exiting now", {{"signal", signal}});
    std::fflush(nullptr);
    std::_Exit(1);
  };
  if (options_.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait(on_signal);
  }
  boost::asio::co_spawn(io_, main(), [&](std::exception_ptr e) {
    failure = e;
    boost::system::error_code ignored;
    signals.cancel(ignored);
    io_.stop();
  });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < options_.threads; ++i) threads.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : threads) t.join();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      log_.error("manager failed", {{"error", e.what()}});
    }
    return 1;
  }
  return exit_code_;
}
}  // namespace kopp
