#pragma once

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <exception>
#include <thread>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <kopp/client/config_error.hpp>
#include <kopp/client/exec_credential.hpp>
#include <kopp/client/detail/file.hpp>
#include <kopp/client/detail/pem.hpp>
#include <kopp/client/detail/subprocess.hpp>
#include <kopp/core/detail/time_rfc3339.hpp>

namespace kopp {

namespace exec_detail {

KOPP_DECL constexpr std::string_view api_v1 = "client.authentication.k8s.io/v1";
KOPP_DECL constexpr std::string_view api_v1beta1 = "client.authentication.k8s.io/v1beta1";

// RFC 3339 ("2024-05-01T10:00:00Z", "2024-05-01T12:00:00.5+02:00") to a time point. Any
// year 0000-9999 parses (kopp::Time's parser). system_clock holds only 1677-2262, so the
// result is clamped: a later expiry is "not before 2262" (never, for us) instead of an
// overflow that wrapped into the past and ran the plugin on every request; an earlier
// one is the epoch (expired), which keeps expiry - now from overflowing.
KOPP_DECL std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  const auto parsed = detail::time_parse_rfc3339(s);
  if (!parsed) return std::nullopt;
  const auto latest = std::chrono::system_clock::time_point::max() - std::chrono::hours(24 * 366);
  return std::clamp(detail::time_to_system_clock(*parsed), std::chrono::system_clock::time_point{}, latest);
}

// The plugin's stdout parsed into a Credential. Throws config_error with a message that
// quotes nothing of the output, not even its apiVersion or kind: a broken plugin may put
// its token anywhere (found by tests/fuzz). The caller adds the plugin's name.
KOPP_DECL Credential parse_exec_credential(std::string_view output, std::string_view api_version) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(output, ec);
  if (ec) throw config_error("printed invalid JSON on stdout (" + ec.message() + "); expected an " + "ExecCredential");
  const auto* root = doc.if_object();
  if (root == nullptr) throw config_error("printed JSON that is not an object; expected an ExecCredential");
  auto string_field = [](const boost::json::object& o, std::string_view key,
                         std::string_view where) -> std::optional<std::string> {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string())
      throw config_error("returned an ExecCredential whose " + std::string(where) + std::string(key) +
                         " is not a string");
    return std::string(v->get_string());
  };
  const auto returned_version = string_field(*root, "apiVersion", "").value_or("");
  if (returned_version != api_version)
    throw config_error("returned " + (returned_version.empty() ? std::string("no apiVersion") : "another apiVersion") +
                       " than the kubeconfig's exec.apiVersion '" + std::string(api_version) + "'");
  const auto kind = string_field(*root, "kind", "").value_or("");
  if (kind != "ExecCredential")
    throw config_error("returned " + (kind.empty() ? std::string("no kind") : "another kind") +
                       " than 'ExecCredential'");
  const auto* status_value = root->if_contains("status");
  if (status_value == nullptr || status_value->is_null())
    throw config_error("returned an ExecCredential without status");
  const auto* status = status_value->if_object();
  if (status == nullptr) throw config_error("returned an ExecCredential whose status is not an object");

  Credential credential;
  if (auto token = string_field(*status, "token", "status."); token && !token->empty()) {
    if (auto problem = credentials_detail::token_problem(*token))
      throw config_error("returned a status.token that " + *problem);
    credential.bearer_token = std::move(*token);
  }
  credential.client_cert_pem = string_field(*status, "clientCertificateData", "status.").value_or("");
  credential.client_key_pem = string_field(*status, "clientKeyData", "status.").value_or("");
  if (!credential.bearer_token && credential.client_cert_pem.empty() && credential.client_key_pem.empty())
    throw config_error(
        "returned an ExecCredential with neither status.token nor "
        "status.clientCertificateData/clientKeyData");
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty())
    throw config_error(credential.client_cert_pem.empty()
                           ? "returned status.clientKeyData without status.clientCertificateData"
                           : "returned status.clientCertificateData without status.clientKeyData");
  if (!credential.client_cert_pem.empty()) {
    if (auto problem = detail::check_certificate_pem(credential.client_cert_pem))
      throw config_error("returned a status.clientCertificateData that is not a valid PEM certificate: " + *problem);
    if (auto problem = detail::check_private_key_pem(credential.client_key_pem))
      throw config_error("returned a status.clientKeyData that is not a valid PEM private key: " + *problem);
    if (auto problem = detail::check_certificate_matches_key(credential.client_cert_pem, credential.client_key_pem))
      throw config_error("returned a client certificate and key that do not match: " + *problem);
  }
  if (auto expiry = string_field(*status, "expirationTimestamp", "status."); expiry && !expiry->empty()) {
    credential.expiry = parse_rfc3339(*expiry);
    if (!credential.expiry)
      throw config_error("returned a status.expirationTimestamp that is not an RFC 3339 time (years 0000-9999)");
  }
  return credential;
}

KOPP_DECL std::string exec_info_json(const ExecConfig& config, const std::optional<ExecClusterInfo>& cluster) {
  boost::json::object spec;
  spec["interactive"] = false;
  if (config.provide_cluster_info && cluster) {
    boost::json::object c;
    c["server"] = cluster->server;
    if (!cluster->tls_server_name.empty()) c["tls-server-name"] = cluster->tls_server_name;
    if (cluster->insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    if (!cluster->ca_pem.empty()) c["certificate-authority-data"] = detail::base64_encode(cluster->ca_pem);
    if (!cluster->proxy_url.empty()) c["proxy-url"] = cluster->proxy_url;
    if (cluster->config) c["config"] = *cluster->config;
    spec["cluster"] = std::move(c);
  }
  boost::json::object request;
  request["apiVersion"] = config.api_version;
  request["kind"] = "ExecCredential";
  request["spec"] = std::move(spec);
  return boost::json::serialize(request);
}

KOPP_DECL std::string tail(std::string_view text, std::size_t max) {
  text = detail::trim_whitespace(text);
  if (text.size() <= max) return std::string(text);
  return "..." + std::string(text.substr(text.size() - max));
}

// One run of the plugin, shared by every caller that asked while it ran. The plugin runs
// on a thread of its own: it may take up to its timeout (60 s), and the io threads must go
// on serving other coroutines (a Lease renewal above all) meanwhile.
struct exec_run {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::optional<Credential> result;
  std::exception_ptr error;
  std::vector<std::function<void()>> wakers;  // called once, after done is set
};

class exec_provider final : public CredentialProvider, public std::enable_shared_from_this<exec_provider> {
 public:
  exec_provider(ExecConfig config, ExecPluginOptions options)
      : config_(std::move(config)), options_(std::move(options)) {
    if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
    program_ = config_.command;
    const std::filesystem::path command_path(config_.command);
    if (config_.command.find('/') != std::string::npos && command_path.is_relative() && !options_.kubeconfig.empty())
      program_ = (options_.kubeconfig.parent_path() / command_path).lexically_normal().string();
  }

  Credential current() override {
    std::shared_ptr<exec_run> run;
    {
      std::lock_guard lock(mutex_);
      const auto now = options_.clock();
      if (cached_ && !invalidated_ && fresh(now)) return *cached_;
      run = in_flight_ ? in_flight_ : start_run(now);
    }
    std::unique_lock lock(run->mutex);
    run->finished.wait(lock, [&] { return run->done; });
    if (run->error) std::rethrow_exception(run->error);
    return *run->result;
  }

  boost::asio::awaitable<Credential> async_current() override {
    std::shared_ptr<exec_run> run;
    std::optional<Credential> cached;
    {
      std::lock_guard lock(mutex_);
      const auto now = options_.clock();
      if (cached_ && !invalidated_ && fresh(now))
        cached = *cached_;
      else
        run = in_flight_ ? in_flight_ : start_run(now);
    }
    if (cached) co_return std::move(*cached);
    // Suspend until the run is over: the run's thread posts our completion handler to
    // the handler's executor (a plain asynchronous operation, so a multi-threaded
    // io_context resumes us safely). The work guard keeps that executor's io_context
    // running while we wait, as for any outstanding operation. A named local, not a
    // lambda temporary in the co_await: GCC 12 destroys such a temporary twice.
    auto initiation = [run](auto handler) {
      using handler_type = decltype(handler);
      auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
      auto shared = std::make_shared<handler_type>(std::move(handler));
      std::function<void()> wake = [shared, work]() mutable {
        boost::asio::post(work.get_executor(), std::move(*shared));
        work.reset();
      };
      bool done = false;
      {
        std::lock_guard lock(run->mutex);
        done = run->done;
        if (!done) run->wakers.push_back(wake);
      }
      if (done) wake();
    };
    co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(initiation,
                                                                                        boost::asio::use_awaitable);
    if (run->error) std::rethrow_exception(run->error);
    co_return *run->result;
  }

  void invalidate() override {
    std::lock_guard lock(mutex_);
    invalidated_ = true;
  }

  std::string describe() const override {
    std::string text = "exec plugin '" + config_.command + "'";
    std::string context;
    if (!options_.kubeconfig.empty()) context = "kubeconfig " + options_.kubeconfig.string();
    if (!options_.user.empty()) context += (context.empty() ? "" : ", ") + std::string("user ") + options_.user;
    if (!context.empty()) text += " (" + context + ")";
    return text;
  }

 private:
  // Starts a run on its own thread; the caller holds mutex_. The thread keeps this
  // provider alive until the run is over.
  std::shared_ptr<exec_run> start_run(std::chrono::system_clock::time_point now) {
    auto run = std::make_shared<exec_run>();
    auto body = [self = shared_from_this(), run, now] {
      std::optional<Credential> credential;
      std::exception_ptr error;
      try {
        credential = self->run();
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(self->mutex_);
        if (credential) {
          self->cached_ = *credential;
          self->obtained_at_ = now;
          self->invalidated_ = false;
        }
        self->in_flight_.reset();
      }
      std::vector<std::function<void()>> wakers;
      {
        std::lock_guard lock(run->mutex);
        run->done = true;
        run->result = std::move(credential);
        run->error = error;
        wakers.swap(run->wakers);
      }
      run->finished.notify_all();
      for (auto& wake : wakers) wake();
    };
    std::thread(std::move(body)).detach();  // throws (nothing in flight) when no thread can start
    in_flight_ = run;
    return run;
  }

  // Refresh a little before expiry (10 % of the lifetime, at most 30 s) so a request does
  // not leave with a token that expires in flight.
  bool fresh(std::chrono::system_clock::time_point now) const {
    if (!cached_->expiry) return true;
    const auto lifetime = *cached_->expiry - obtained_at_;
    if (lifetime <= lifetime.zero()) return false;
    const auto margin = std::min<std::chrono::system_clock::duration>(lifetime / 10, std::chrono::seconds(30));
    return now + margin < *cached_->expiry;
  }

  [[noreturn]] void fail(const std::string& problem) const {
    std::string where = "exec plugin '" + config_.command + "'";
    if (!options_.user.empty()) where += " for user '" + options_.user + "'";
    if (!options_.kubeconfig.empty()) where += " in kubeconfig " + options_.kubeconfig.string();
    throw config_error(where + ": " + problem);
  }

  Credential run() const {
    std::vector<std::string> argv;
    argv.push_back(program_);
    argv.insert(argv.end(), config_.args.begin(), config_.args.end());
    auto env = detail::current_environment();
    for (const auto& var : config_.env) detail::set_environment_variable(env, var.name, var.value);
    detail::set_environment_variable(env, "KUBERNETES_EXEC_INFO", exec_info_json(config_, options_.cluster));

    detail::SubprocessResult result;
    try {
      result = detail::run_subprocess(argv, env, options_.timeout);
    } catch (const std::system_error& e) {
      if (e.code() == std::errc::no_such_file_or_directory) {
        std::string message = "executable '" + program_ + "' was not found";
        if (program_.find('/') == std::string::npos) message += " in $PATH";
        if (!config_.install_hint.empty())
          message += "; it looks like the credential plugin is not installed:\n" +
                     std::string(detail::trim_whitespace(config_.install_hint));
        fail(message);
      }
      fail("cannot run '" + program_ + "': " + e.code().message());
    }
    if (result.timed_out)
      fail("did not finish within " + std::to_string(options_.timeout.count()) + " ms and was killed");
    if (result.signal != 0)
      fail("was killed by signal " + std::to_string(result.signal) +
           (result.err.empty() ? std::string() : "; stderr: " + tail(result.err, 2000)));
    if (result.exit_code != 0)
      fail("exited with code " + std::to_string(result.exit_code) +
           (result.err.empty() ? std::string("; stderr was empty") : "; stderr: " + tail(result.err, 2000)));
    if (result.output_truncated) fail("printed more output than kopp accepts");
    try {
      return parse_exec_credential(result.out, config_.api_version);
    } catch (const config_error& e) {
      fail(e.what());
    }
  }

  ExecConfig config_;
  ExecPluginOptions options_;
  std::string program_;
  mutable std::mutex mutex_;
  std::optional<Credential> cached_;
  std::chrono::system_clock::time_point obtained_at_{};
  bool invalidated_ = false;
  std::shared_ptr<exec_run> in_flight_;  ///< the run under way, shared by every caller
};

}  // namespace exec_detail

KOPP_DECL std::shared_ptr<CredentialProvider> exec_plugin(ExecConfig config, ExecPluginOptions options) {
  auto where = [&] {
    std::string text = "exec plugin";
    if (!config.command.empty()) text += " '" + config.command + "'";
    if (!options.user.empty()) text += " for user '" + options.user + "'";
    if (!options.kubeconfig.empty()) text += " in kubeconfig " + options.kubeconfig.string();
    return text;
  };
  if (config.command.empty()) throw config_error(where() + ": exec.command is empty");
  if (config.api_version == "client.authentication.k8s.io/v1alpha1")
    throw config_error(where() +
                       ": exec.apiVersion client.authentication.k8s.io/v1alpha1 is no "
                       "longer supported (kubectl removed it in 1.24); use " +
                       std::string(exec_detail::api_v1));
  if (config.api_version != exec_detail::api_v1 && config.api_version != exec_detail::api_v1beta1)
    throw config_error(where() + ": exec.apiVersion '" + config.api_version + "' is not supported; use " +
                       std::string(exec_detail::api_v1) + " or " + std::string(exec_detail::api_v1beta1));
  if (!config.interactive_mode.empty() && config.interactive_mode != "Never" &&
      config.interactive_mode != "IfAvailable" && config.interactive_mode != "Always")
    throw config_error(where() + ": exec.interactiveMode '" + config.interactive_mode +
                       "' is invalid; expected Never, IfAvailable or Always");
  if (config.interactive_mode == "Always")
    throw config_error(where() +
                       ": exec.interactiveMode is Always, but kopp runs exec plugins "
                       "without a terminal; use IfAvailable or Never");
  for (const auto& var : config.env)
    if (var.name.empty() || var.name.find('=') != std::string::npos)
      throw config_error(where() + ": exec.env has an invalid variable name '" + var.name + "'");
  return std::make_shared<exec_detail::exec_provider>(std::move(config), std::move(options));
}

}  // namespace kopp
