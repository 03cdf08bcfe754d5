#pragma once
// kopp::testing::FakeCluster: an in-memory Kubernetes cluster under the real kopp::Client.
// Its transport (kopp::Transport, the client's seam) hands each request to a
// FakeApiServer instead of a socket, so that Api<K>, DynamicApi, informers, controllers,
// finalize(), events, leader election and a whole Manager run unchanged against it: the
// code under test is the code that runs in production.
//
//   kopp::testing::FakeCluster cluster;
//   boost::asio::io_context io;
//   auto client = cluster.client(io.get_executor());
//   kopp::Api<kopp::api::core::v1::ConfigMap> config_maps(*client, "default");
//   cluster.inject(kopp::testing::RequestMatch().verb(http::verb::put).on("configmaps"),
//                  kopp::testing::Fault::status(409));          // the next PUT conflicts
//   ...
//   CHECK(cluster.count(kopp::testing::RequestMatch().verb(http::verb::patch)) == 1);
//
// Faults: inject() makes the Nth matching request from now (and `times` - 1 more after it)
// fail as the fault says: a Status answer without the server acting (409, 429 with
// Retry-After, 500, ...), a connection dropped before the request reached the server or
// after the server acted on it (the response is lost), or a delay. Every request is
// recorded with the status it got, for assertions.
//
// The cluster outlives the clients made from it. Thread-safety: every member function may
// be called from any thread (the client may run on a multi-threaded io_context).

#include <kopp/client/client.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/transport.hpp>
#include <kopp/testing/fake_api_server.hpp>
#include <kopp/testing/run.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp::testing {

/// A request the fake cluster received, with its path taken apart.
struct RecordedRequest {
  RecordedRequest() = default;
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path;   ///< without the query
  std::string query;  ///< without the '?'
  std::string body;
  std::string content_type;
  std::string group;  ///< "" for the core group
  std::string version;
  std::string namespace_;  ///< "" for cluster-scoped or all-namespaces requests
  std::string resource;    ///< plural: "configmaps", "deployments"
  std::string name;
  std::string subresource;  ///< "status", "scale", or ""
  bool watch = false;
  /// The status the client received; 0 when no response arrived (a dropped connection).
  unsigned status = 0;
  /// A fault changed what the client received.
  bool faulted = false;
};

/// Which requests a fault or a count applies to. Every condition set must hold; a
/// default-constructed match matches every request.
class RequestMatch {
 public:
  RequestMatch() = default;
  RequestMatch& verb(boost::beast::http::verb method);
  /// The resource (plural, e.g. "configmaps") and, when not empty, the object's name.
  RequestMatch& on(std::string resource, std::string name = {});
  RequestMatch& in(std::string namespace_);
  /// A subresource ("status", "scale").
  RequestMatch& sub(std::string subresource);
  /// Watch requests only (without it, a match applies to watches and other requests).
  RequestMatch& watches();
  /// Requests that are not watches.
  RequestMatch& not_watches();
  /// Any further condition.
  RequestMatch& where(std::function<bool(const RecordedRequest&)> predicate);

  bool matches(const RecordedRequest& request) const;

 private:
  std::optional<boost::beast::http::verb> method_;
  std::optional<std::string> resource_, name_, namespace_, subresource_;
  std::optional<bool> watch_;
  std::function<bool(const RecordedRequest&)> predicate_;
};

/// What happens to a request a fault matched.
class Fault {
 public:
  enum class kind { status, dropped_before_server, dropped_after_server, delay };

  /// Answers with a meta/v1 Status of this code (and reason; default: the usual one for the
  /// code) without the server acting on the request.
  static Fault status(unsigned code, std::string reason = {}, std::string message = {});
  /// 429 TooManyRequests with a Retry-After header.
  static Fault too_many_requests(std::chrono::seconds retry_after);
  /// The connection breaks before the request reached the server: nothing happened there.
  static Fault connection_dropped();
  /// The server acts on the request, then the connection breaks before the answer arrived:
  /// the client sees a failure although the write happened (what makes writes retried by
  /// hand non-idempotent).
  static Fault connection_dropped_after_write();
  /// The request is served after `delay`.
  static Fault delay(std::chrono::steady_clock::duration delay);

  kind type() const noexcept { return kind_; }
  unsigned code() const noexcept { return code_; }
  const std::string& reason() const noexcept { return reason_; }
  const std::string& message() const noexcept { return message_; }
  std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }
  std::chrono::steady_clock::duration duration() const noexcept { return delay_; }

 private:
  explicit Fault(kind k) : kind_(k) {}
  kind kind_;
  unsigned code_ = 0;
  std::string reason_, message_;
  std::optional<std::chrono::seconds> retry_after_;
  std::chrono::steady_clock::duration delay_{};
};

class FakeCluster {
 public:
  FakeCluster();
  ~FakeCluster();
  FakeCluster(const FakeCluster&) = delete;
  FakeCluster& operator=(const FakeCluster&) = delete;

  /// The API server's state and its test controls (compact, bookmarks, end watches).
  FakeApiServer& server() noexcept;

  /// The Config clients of this cluster use: server "fake://kopp-testing", namespace
  /// "default", no credentials, no client-side rate limit (qps 0).
  static Config config();

  /// A Client whose requests this cluster serves, on `executor`.
  std::unique_ptr<Client> client(boost::asio::any_io_executor executor, ClientOptions options = {}) const;
  /// The transport alone (Client's seam), on `executor`.
  std::unique_ptr<Transport> transport(boost::asio::any_io_executor executor) const;
  /// For ManagerOptions::transport: a Manager's client served by this cluster.
  std::function<std::unique_ptr<Transport>(boost::asio::any_io_executor)> transport_factory() const;

  /// Runs `body` — a coroutine taking a kopp::Client& and returning awaitable<T> — to
  /// completion with a client of this cluster on an io_context of its own
  /// (kopp::testing::run), and returns its T (or rethrows what it threw): a test's steps
  /// from a plain test function.
  template <class Body>
  auto with_client(Body body) const {
    return kopp::testing::run([&]() -> decltype(body(std::declval<Client&>())) {
      auto own = client(co_await boost::asio::this_coro::executor);
      co_return co_await body(*own);
    });
  }

  /// Creates `object` (a CustomResourceDefinition, a Namespace, any kind served) for a
  /// test's setup, past faults and the record of requests: FakeApiServer::create.
  boost::json::object create(const boost::json::object& object) { return server().create(object); }

  /// Makes matching requests fail: the `nth` matching request from now (1 = the next one)
  /// and the `times` - 1 matching requests after it. Returns an id for clear_fault.
  std::uint64_t inject(RequestMatch match, Fault fault, unsigned nth = 1, unsigned times = 1);
  void clear_fault(std::uint64_t id);
  void clear_faults();

  /// Every request so far, in the order they arrived (with the status each got).
  std::vector<RecordedRequest> requests() const;
  /// How many requests so far match.
  std::size_t count(const RequestMatch& match) const;
  void clear_requests();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

namespace detail {
/// A request target (path and query) taken apart: group, version, namespace, resource,
/// name, subresource, watch. Leaves them empty where the path has none (discovery).
RecordedRequest parse_request_target(boost::beast::http::verb method, std::string_view target);
}  // namespace detail

}  // namespace kopp::testing

#include <kopp/testing/impl/fake_cluster.ipp>
