// The HTTP/2 transport against the real kube-apiserver: every request and watch of a Client
// shares one TCP connection (counted from the kernel's socket table, not from kopp's own
// bookkeeping); one stream closed or left unread never disturbs the others.
#include "support/informer_support.hpp"

#include <kopp/client/http1_transport.hpp>
#include <kopp/client/http2_transport.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace kopp_test;
using boost::asio::awaitable;

namespace {

/// The inodes of this process's sockets (from /proc/self/fd).
std::set<unsigned long> own_socket_inodes() {
  std::set<unsigned long> inodes;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && target.starts_with("socket:[")) inodes.insert(std::stoul(target.substr(8)));
  }
  return inodes;
}

/// Established TCP connections of this process to 127.0.0.1:`port` (IPv4 and IPv6).
std::size_t connections_to(unsigned port) {
  const auto own = own_socket_inodes();
  std::size_t count = 0;
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      const auto colon = remote.rfind(':');
      if (colon == std::string::npos || state != "01") continue;  // 01: ESTABLISHED
      if (std::stoul(remote.substr(colon + 1), nullptr, 16) == port && own.contains(inode)) ++count;
    }
  }
  return count;
}

kopp::ClientOptions http2_options() {
  kopp::ClientOptions options;
  options.transport.protocol = kopp::HttpProtocol::automatic;
  return options;
}

unsigned apiserver_port() {
  auto url = boost::urls::parse_uri(admin_config().server);
  REQUIRE(url);
  return static_cast<unsigned>(std::stoul(std::string(url->port())));
}

/// An io_context on its own thread with a Client of the given protocol.
class ClientThread {
 public:
  explicit ClientThread(kopp::HttpProtocol protocol)
      : guard_(io_.get_executor()), client_(io_.get_executor(), admin_config(), options(protocol)) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ClientThread() {
    guard_.reset();
    thread_.join();
  }
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;
  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  kopp::Client& client() { return client_; }

 private:
  static kopp::ClientOptions options(kopp::HttpProtocol protocol) {
    kopp::ClientOptions o;
    o.transport.protocol = protocol;
    return o;
  }
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  kopp::Client client_;
  std::thread thread_;
};

/// Starts `n` ConfigMap informers of `ns` on `io`'s client and waits until all synced.
std::vector<std::shared_ptr<kopp::Informer<ConfigMap>>> start_informers(ClientThread& io, const std::string& ns,
                                                                        int n) {
  std::vector<std::shared_ptr<kopp::Informer<ConfigMap>>> informers;
  for (int i = 0; i < n; ++i) {
    auto informer = kopp::Informer<ConfigMap>::create(kopp::ListWatchSource::of<ConfigMap>(io.client(), ns));
    informer->start(io.executor());
    informers.push_back(informer);
  }
  for (auto& informer : informers) REQUIRE(eventually([&] { return informer->has_synced(); }));
  return informers;
}

}  // namespace

TEST_CASE("ten informers on one Client hold one TCP connection over HTTP/2, ten over HTTP/1.1",
          "[integration][http2]") {
  TestNamespace ns("kopp-http2");
  const unsigned port = apiserver_port();
  const std::size_t before = connections_to(port);  // none: other tests' clients are gone
  {
    ClientThread io(kopp::HttpProtocol::automatic);
    auto informers = start_informers(io, ns.name(), 10);
    // Every informer's watch is open: a change reaches all ten caches.
    run<void>([&]() -> awaitable<void> {
      kopp::Api<ConfigMap> configmaps(io.client(), ns.name());
      ConfigMap cm;
      cm.metadata.name = "seen-by-all";
      co_await configmaps.create(cm);
    });
    for (auto& informer : informers)
      REQUIRE(eventually([&] { return informer->store().get(ns.name(), "seen-by-all") != nullptr; }));
    CHECK(connections_to(port) - before == 1);
    CHECK(dynamic_cast<kopp::Http2Transport&>(io.client().transport()).connections() == 1);
    for (auto& informer : informers) informer->stop();
  }
  {
    ClientThread io(kopp::HttpProtocol::http1);
    auto informers = start_informers(io, ns.name(), 10);
    // One connection per watch, and the pool's for requests.
    CHECK(connections_to(port) - before >= 10);
    for (auto& informer : informers) informer->stop();
  }
}

TEST_CASE("closing one watch leaves the other streams of the connection working", "[integration][http2]") {
  TestNamespace ns("kopp-http2-cancel");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config(), http2_options());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    // From the current resourceVersion: only changes, not the namespace's existing objects.
    const auto from = (co_await configmaps.list()).metadata.resourceVersion;
    auto closed = co_await configmaps.watch(kopp::ListParams().at_version(from));
    auto open = co_await configmaps.watch(kopp::ListParams().at_version(from));
    closed.close();
    auto after_close = co_await closed.next();
    CHECK_FALSE(after_close.has_value());
    ConfigMap cm;
    cm.metadata.name = "after-close";
    co_await configmaps.create(cm);
    auto event = co_await open.next();
    REQUIRE(event);
    CHECK(event->type == kopp::WatchEventType::added);
    CHECK(event->object.metadata.name == "after-close");
    CHECK(dynamic_cast<kopp::Http2Transport&>(client.transport()).connections() == 1);
  });
}

TEST_CASE("a watch nobody reads neither stalls the connection nor loses events", "[integration][http2]") {
  // 48 ConfigMaps of 128 KiB: 6 MiB of events, more than a stream's 4 MiB window, so the
  // unread watch's stream stops; requests and another watch on the same connection go on.
  TestNamespace ns("kopp-http2-slow");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config(), http2_options());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    const auto from = (co_await configmaps.list()).metadata.resourceVersion;
    auto unread = co_await configmaps.watch(kopp::ListParams().at_version(from));
    auto reader = co_await configmaps.watch(kopp::ListParams().at_version(from));
    const int count = 48;
    for (int i = 0; i < count; ++i) {
      ConfigMap cm;
      cm.metadata.name = "big-" + std::to_string(i);
      cm.data["payload"] = std::string(128 * 1024, static_cast<char>('a' + i % 26));
      co_await configmaps.create(cm);
      auto event = co_await reader.next();
      REQUIRE(event);
      CHECK(event->object.metadata.name == cm.metadata.name);
    }
    auto listed = co_await configmaps.list();
    CHECK(listed.items.size() == static_cast<std::size_t>(count) + 1);  // and kube-root-ca.crt
    // The unread watch then delivers every event, in order.
    for (int i = 0; i < count; ++i) {
      auto event = co_await unread.next();
      REQUIRE(event);
      CHECK(event->type == kopp::WatchEventType::added);
      CHECK(event->object.metadata.name == "big-" + std::to_string(i));
      CHECK(event->object.data.at("payload").size() == 128 * 1024);
    }
  });
}

TEST_CASE("requests with idle pauses between them reuse the one HTTP/2 connection", "[integration][http2]") {
  // The connection is not read while idle (so io_context::run() can return); what the
  // server sends meanwhile must not make every pause cost a new connection.
  TestNamespace ns("kopp-http2-idle");
  run<void>([&]() -> awaitable<void> {
    kopp::Client client(co_await boost::asio::this_coro::executor, admin_config(), http2_options());
    kopp::Api<ConfigMap> configmaps(client, ns.name());
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    for (int i = 0; i < 10; ++i) {
      ConfigMap cm;
      cm.metadata.name = "idle-" + std::to_string(i);
      cm.data["v"] = std::string(100 * 1024, 'v');  // a body the server's window must admit
      co_await configmaps.create(cm);
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::use_awaitable);
      co_await configmaps.get(cm.metadata.name);
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
    auto& transport = dynamic_cast<kopp::Http2Transport&>(client.transport());
    CHECK(transport.connections_opened() == 1);
  });
}
