#pragma once
// FakeApiServer: the state and the semantics of a Kubernetes API server, in memory and
// without sockets (sans-io): a request in, a response out; a watch is a queue of event
// lines that grows as the state changes. kopp::testing::FakeCluster puts it under the real
// kopp::Client (through the Transport seam), so that Api<K>, DynamicApi, informers,
// controllers and the Manager run unchanged against it.
//
// What it implements, as the kube-apiserver does (tests/scenarios run the same scenarios
// against both and compare): discovery (/api, /apis, their group versions); built-in kinds
// and namespaces (default, kube-system, kube-public, kube-node-lease exist); custom
// resources once their CustomResourceDefinition is created (Established at once, with the
// status and scale subresources it declares); uid, creationTimestamp, a resourceVersion
// that increases with every write, generation bumped only by changes outside metadata and
// status; the status and scale subresources (a main-resource write ignores status and a
// status write everything but status); 409 Conflict on a stale resourceVersion, 404
// NotFound, 409 AlreadyExists, 422 Invalid names; finalizers and deletionTimestamp; owner
// reference garbage collection (background, foreground, orphan); JSON merge patch, JSON
// patch, strategic merge patch (built-in kinds), server-side apply with managedFields;
// label and field selectors; list with limit and continue; watch from a resourceVersion
// with bookmarks; 410 Gone once a resourceVersion was compacted; dry-run.
//
// What it does not model is refused with 501 NotImplemented naming it, never answered
// differently from the real server (docs/testing.md lists it).
//
// Thread-safety: every member function may be called from any thread; the state is
// guarded by one mutex. FakeWatch's ready callback is called without that mutex held.

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>

namespace kopp::testing {

struct FakeRequest {
  FakeRequest() = default;
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  ///< path and query, as sent: /api/v1/namespaces/default/pods?limit=10
  std::string body;
  std::string content_type;  ///< decides the patch type of a PATCH
  std::string user_agent;    ///< the default field manager, as on the real server
  /// "application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1" asks for the
  /// metadata only (a GET, a list or a watch), as the metadata client does.
  std::string accept = "application/json";
};

struct FakeResponse {
  FakeResponse() = default;
  unsigned status = 200;
  std::string body;  ///< JSON: the object, the list, or a meta/v1 Status for an error
  std::string content_type = "application/json";
};

/// The event lines of one watch, in the server's order; each line is one JSON watch event
/// ({"type":..., "object":...}) and ends with '\n', exactly as the real server streams them.
class FakeWatch {
 public:
  /// The bytes queued since the last take (whole lines), or "" when none.
  std::string take();
  /// True once the server ended the watch (nothing more will be queued after what take()
  /// still returns).
  bool ended() const;
  /// `ready` is called whenever bytes were queued or the watch ended, from the thread that
  /// changed the server's state, without the server's lock held. It must be cheap (post to
  /// an executor). Called once at once when something is already pending.
  void on_ready(std::function<void()> ready);
  /// The client is gone: the server stops queuing for this watch.
  void cancel();

 private:
  friend class FakeApiServer;
  mutable std::mutex mutex_;
  std::string pending_;
  bool ended_ = false;
  bool cancelled_ = false;
  std::function<void()> ready_;
  // The server's per-watch filter (resource, namespace, selectors, bookmarks) lives in
  // FakeApiServer's state, keyed by this object.
};

class FakeApiServer {
 public:
  FakeApiServer();
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  /// True for a request that opens a watch (GET with watch=true or watch=1).
  static bool is_watch(const FakeRequest& request);

  /// Every request but a watch. Never throws for a bad request: the answer is the Status
  /// the real server gives (400, 404, 405, 409, 415, 422, 501, ...).
  FakeResponse handle(const FakeRequest& request);

  /// A watch request: the watch, whose initial events (ADDED for every matching object when
  /// no resourceVersion or resourceVersion=0... as the real server does, or the events
  /// after the given resourceVersion) are already queued; or the error response (an
  /// unknown resource, a bad selector). A resourceVersion older than the compacted one
  /// gives a watch whose only event is an ERROR with a 410 Expired Status, as the real
  /// server does. timeoutSeconds is the caller's to enforce (the transport ends it).
  std::variant<FakeResponse, std::shared_ptr<FakeWatch>> open_watch(const FakeRequest& request);

  /// The current resourceVersion (the last write's).
  std::uint64_t resource_version() const;

  /// Forgets the history up to the current resourceVersion, as etcd compaction does: a
  /// watch or a list continue token from before it gets 410 Gone (Expired). Open watches
  /// are not affected.
  void compact();

  /// Sends a BOOKMARK at the current resourceVersion to every open watch that asked for
  /// bookmarks (allowWatchBookmarks=true); the real server does so about once a minute.
  void send_bookmarks();

  /// Ends every open watch, as an API server restart does; clients re-watch.
  void end_watches();

  /// Creates `object` — any kind the server serves: a CustomResourceDefinition, a
  /// Namespace, a custom resource once its CRD exists — as `kubectl create` would (POST to
  /// the resource its apiVersion and kind name, in metadata.namespace or "default"), and
  /// returns it as stored. For a test's setup: it goes past a FakeCluster's faults and
  /// record. Throws std::runtime_error naming the object and the server's answer when the
  /// server refuses it (409 AlreadyExists, 422 Invalid, an unknown kind).
  boost::json::object create(const boost::json::object& object);

  /// The object at `path` (/api/v1/namespaces/default/configmaps/x), for assertions
  /// without a client; nullopt when it does not exist.
  std::optional<boost::json::value> object(std::string_view path) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kopp::testing

#include <kopp/testing/impl/fake_api_server.ipp>
