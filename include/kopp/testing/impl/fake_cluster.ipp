#pragma once

#include <kopp/testing/fake_cluster.hpp>

#include <kopp/client/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

namespace kopp::testing {

// --- RequestMatch -------------------------------------------------------------------

inline RequestMatch& RequestMatch::verb(boost::beast::http::verb method) {
  method_ = method;
  return *this;
}

inline RequestMatch& RequestMatch::on(std::string resource, std::string name) {
  resource_ = std::move(resource);
  if (!name.empty()) name_ = std::move(name);
  return *this;
}

inline RequestMatch& RequestMatch::in(std::string namespace_name) {
  namespace_ = std::move(namespace_name);
  return *this;
}

inline RequestMatch& RequestMatch::sub(std::string subresource) {
  subresource_ = std::move(subresource);
  return *this;
}

inline RequestMatch& RequestMatch::watches() {
  watch_ = true;
  return *this;
}

inline RequestMatch& RequestMatch::not_watches() {
  watch_ = false;
  return *this;
}

inline RequestMatch& RequestMatch::where(std::function<bool(const RecordedRequest&)> predicate) {
  predicate_ = std::move(predicate);
  return *this;
}

inline bool RequestMatch::matches(const RecordedRequest& request) const {
  if (method_ && *method_ != request.method) return false;
  if (resource_ && *resource_ != request.resource) return false;
  if (name_ && *name_ != request.name) return false;
  if (namespace_ && *namespace_ != request.namespace_) return false;
  if (subresource_ && *subresource_ != request.subresource) return false;
  if (watch_ && *watch_ != request.watch) return false;
  return !predicate_ || predicate_(request);
}

// --- Fault --------------------------------------------------------------------------

inline Fault Fault::status(unsigned code, std::string reason, std::string message) {
  Fault fault(kind::status);
  fault.code_ = code;
  fault.reason_ = std::move(reason);
  fault.message_ = std::move(message);
  return fault;
}

inline Fault Fault::too_many_requests(std::chrono::seconds retry_after) {
  Fault fault = status(429);
  fault.retry_after_ = retry_after;
  return fault;
}

inline Fault Fault::connection_dropped() { return Fault(kind::dropped_before_server); }

inline Fault Fault::connection_dropped_after_write() { return Fault(kind::dropped_after_server); }

inline Fault Fault::delay(std::chrono::steady_clock::duration delay) {
  Fault fault(kind::delay);
  fault.delay_ = delay;
  return fault;
}

// --- The cluster's shared state -------------------------------------------------------

struct FakeCluster::State {
  struct Injected {
    std::uint64_t id;
    RequestMatch match;
    Fault fault;
    unsigned nth;
    unsigned times;
    unsigned seen = 0;
  };

  FakeApiServer server;
  mutable std::mutex mutex;
  // Held while the server handles a request and its record is added, and by requests() and
  // count() before they read the record: whoever saw the effect of a write, through a request
  // of its own or a watch event, finds the write in requests() too. Taken before `mutex`.
  std::mutex handling;
  std::vector<RecordedRequest> requests;
  std::vector<Injected> faults;
  std::uint64_t next_fault_id = 1;

  /// Counts the request against every fault that matches it and returns the first fault
  /// whose turn it is.
  std::optional<Fault> fault_for(const RecordedRequest& request) {
    std::lock_guard lock(mutex);
    std::optional<Fault> chosen;
    for (auto& injected : faults) {
      if (!injected.match.matches(request)) continue;
      ++injected.seen;
      if (!chosen && injected.seen >= injected.nth && injected.seen - injected.nth < injected.times)
        chosen = injected.fault;
    }
    return chosen;
  }

  void record(RecordedRequest request) {
    std::lock_guard lock(mutex);
    requests.push_back(std::move(request));
  }
};

namespace detail {

inline RecordedRequest parse_request_target(boost::beast::http::verb method, std::string_view target) {
  RecordedRequest request;
  request.method = method;
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  std::vector<std::string_view> segments;
  std::string_view rest = request.path;
  while (!rest.empty()) {
    if (rest.front() == '/') {
      rest.remove_prefix(1);
      continue;
    }
    const auto slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  std::size_t at = 0;
  if (segments.size() >= 2 && segments[0] == "api") {
    request.version = std::string(segments[1]);
    at = 2;
  } else if (segments.size() >= 3 && segments[0] == "apis") {
    request.group = std::string(segments[1]);
    request.version = std::string(segments[2]);
    at = 3;
  } else {
    at = segments.size();  // discovery or something else: no resource
  }
  const std::size_t left = segments.size() - at;
  // /namespaces/<ns>/<resource>... is a scope; /namespaces/<name>/status (or /finalize) is a
  // subresource of the namespace object itself.
  const bool namespace_subresource =
      left == 3 && segments[at] == "namespaces" && (segments[at + 2] == "status" || segments[at + 2] == "finalize");
  if (left >= 3 && segments[at] == "namespaces" && !namespace_subresource) {
    request.namespace_ = std::string(segments[at + 1]);
    at += 2;
  }
  if (at < segments.size()) request.resource = std::string(segments[at++]);
  if (at < segments.size()) request.name = std::string(segments[at++]);
  if (at < segments.size()) request.subresource = std::string(segments[at++]);
  for (std::string_view parameter : {std::string_view("watch=true"), std::string_view("watch=1")}) {
    std::string_view query = request.query;
    while (!query.empty()) {
      const auto amp = query.find('&');
      if (query.substr(0, amp) == parameter) request.watch = true;
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  return request;
}

/// The value of a query parameter, or nullopt.
inline std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) == name)
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return std::nullopt;
}

inline std::string_view usual_reason(unsigned code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

/// The meta/v1 Status a status fault answers with.
inline HttpResponse fault_response(const Fault& fault) {
  HttpResponse response;
  response.status = fault.code();
  const std::string reason = fault.reason().empty() ? std::string(usual_reason(fault.code())) : fault.reason();
  const std::string message =
      fault.message().empty() ? reason + " (a fault injected by kopp::testing::FakeCluster)" : fault.message();
  boost::json::object status{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", boost::json::object()},
                             {"status", "Failure"}, {"message", message}, {"reason", reason},
                             {"code", fault.code()}};
  if (fault.retry_after()) {
    status["details"] = boost::json::object{{"retryAfterSeconds", fault.retry_after()->count()}};
    response.retry_after = fault.retry_after();
  }
  response.body = boost::json::serialize(status);
  response.content_type = "application/json";
  return response;
}

inline std::string describe(const HttpRequest& request) {
  return std::string(boost::beast::http::to_string(request.method)) + " fake://kopp-testing" + request.target;
}

inline api_error dropped_connection(const HttpRequest& request) {
  return api_error(boost::asio::error::connection_reset,
                   describe(request) + ": connection reset (a fault injected by kopp::testing::FakeCluster)");
}

/// A whole response read as a stream (an error answer to a watch, or a fault's Status).
class FakeBufferedStream final : public ResponseStream {
 public:
  FakeBufferedStream(unsigned status, std::string content_type, std::string body)
      : ResponseStream(status, std::move(content_type)), body_(std::move(body)) {}

  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) override {
    if (closed_) throw api_error(boost::asio::error::operation_aborted, "fake://kopp-testing: stream closed");
    const std::size_t n = std::min(buffer.size(), body_.size() - offset_);
    std::memcpy(buffer.data(), body_.data() + offset_, n);
    offset_ += n;
    co_return n;
  }
  void close() noexcept override { closed_ = true; }

 private:
  std::string body_;
  std::size_t offset_ = 0;
  bool closed_ = false;
};

/// A watch's event lines as a streaming response. The server queues lines from whatever
/// thread changed its state; a capacity-1 channel wakes the reader (a wake-up that finds
/// nothing new is harmless), and a timer ends the watch at its timeoutSeconds, as the real
/// server does.
class FakeWatchStream final : public ResponseStream {
  using wakeup_channel = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

 public:
  FakeWatchStream(boost::asio::any_io_executor executor, std::shared_ptr<FakeWatch> watch,
                  std::optional<std::chrono::steady_clock::time_point> deadline, std::string description)
      : ResponseStream(200, "application/json"),
        watch_(std::move(watch)),
        wakeup_(std::make_shared<wakeup_channel>(executor, 1)),
        timer_(executor),
        deadline_(deadline),
        description_(std::move(description)) {
    // The callbacks hold the channel, not the stream: they may run after the stream is gone.
    auto wakeup = wakeup_;
    watch_->on_ready([wakeup] { wakeup->try_send(boost::system::error_code()); });
    if (deadline_) {
      timer_.expires_at(*deadline_);
      timer_.async_wait([wakeup](boost::system::error_code ec) {
        if (!ec) wakeup->try_send(boost::system::error_code());
      });
    }
  }
  ~FakeWatchStream() override {
    // No wake-up here: a stream is destroyed with no reader left (or while its io_context
    // shuts down, when the channel's pending receive is already gone), so there is nobody
    // to wake, and completing a destroyed receive would touch freed memory.
    closed_ = true;
    watch_->cancel();
    timer_.cancel();
  }

  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) override {
    for (;;) {
      if (closed_) throw api_error(boost::asio::error::operation_aborted, description_ + ": stream closed");
      if (offset_ < pending_.size()) {
        const std::size_t n = std::min(buffer.size(), pending_.size() - offset_);
        std::memcpy(buffer.data(), pending_.data() + offset_, n);
        offset_ += n;
        co_return n;
      }
      // ended() before take(): lines queued just before the watch ended are still read.
      const bool ended = watch_->ended();
      pending_ = watch_->take();
      offset_ = 0;
      if (!pending_.empty()) continue;
      if (ended || (deadline_ && std::chrono::steady_clock::now() >= *deadline_)) co_return 0;
      co_await wakeup_->async_receive(boost::asio::use_awaitable);
    }
  }

  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    watch_->cancel();
    timer_.cancel();
    wakeup_->try_send(boost::system::error_code());
  }

 private:
  std::shared_ptr<FakeWatch> watch_;
  std::shared_ptr<wakeup_channel> wakeup_;
  boost::asio::steady_timer timer_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::string description_;
  std::string pending_;
  std::size_t offset_ = 0;
  bool closed_ = false;
};

/// The Transport of a FakeCluster's clients.
class FakeTransport final : public Transport {
 public:
  FakeTransport(std::shared_ptr<FakeCluster::State> state, boost::asio::any_io_executor executor)
      : state_(std::move(state)), executor_(std::move(executor)) {}

  boost::asio::awaitable<HttpResponse> send(HttpRequest request, Credential) override {
    // As a socket would, never complete inline: a caller looping on requests still lets the
    // rest of the io_context run.
    co_await boost::asio::post(executor_, boost::asio::use_awaitable);
    RecordedRequest record = recorded(request);
    std::optional<Fault> fault = state_->fault_for(record);
    if (fault && fault->type() == Fault::kind::delay) {
      boost::asio::steady_timer timer(executor_, fault->duration());
      co_await timer.async_wait(boost::asio::use_awaitable);
      fault.reset();
    }
    record.faulted = fault.has_value();
    if (fault && fault->type() == Fault::kind::dropped_before_server) {
      state_->record(std::move(record));
      throw dropped_connection(request);
    }
    HttpResponse response;
    if (fault && fault->type() == Fault::kind::status) {
      response = fault_response(*fault);
      record.status = response.status;
      state_->record(std::move(record));
      co_return response;
    }
    {
      // The server's answer and the record in one step (State::handling says why).
      std::lock_guard handling(state_->handling);
      FakeResponse answer = state_->server.handle(fake_request(request));
      if (fault && fault->type() == Fault::kind::dropped_after_server) {
        state_->record(std::move(record));
      } else {
        response.status = answer.status;
        response.body = std::move(answer.body);
        response.content_type = std::move(answer.content_type);
        record.status = response.status;
        state_->record(std::move(record));
      }
    }
    if (fault && fault->type() == Fault::kind::dropped_after_server) throw dropped_connection(request);
    co_return response;
  }

  boost::asio::awaitable<std::unique_ptr<ResponseStream>> open_stream(HttpRequest request, Credential) override {
    co_await boost::asio::post(executor_, boost::asio::use_awaitable);
    RecordedRequest record = recorded(request);
    std::optional<Fault> fault = state_->fault_for(record);
    if (fault && fault->type() == Fault::kind::delay) {
      boost::asio::steady_timer timer(executor_, fault->duration());
      co_await timer.async_wait(boost::asio::use_awaitable);
      fault.reset();
    }
    record.faulted = fault.has_value();
    if (fault && fault->type() != Fault::kind::status) {
      // A watch has no effect to lose: dropped before or after the server, the client sees
      // the same broken connection.
      state_->record(std::move(record));
      throw dropped_connection(request);
    }
    std::unique_ptr<ResponseStream> stream;
    if (fault) {
      HttpResponse answer = fault_response(*fault);
      stream = std::make_unique<FakeBufferedStream>(answer.status, answer.content_type, std::move(answer.body));
    } else {
      const FakeRequest fake = fake_request(request);
      if (FakeApiServer::is_watch(fake)) {
        auto opened = state_->server.open_watch(fake);
        if (auto* watch = std::get_if<std::shared_ptr<FakeWatch>>(&opened)) {
          std::optional<std::chrono::steady_clock::time_point> deadline;
          if (auto timeout = query_parameter(record.query, "timeoutSeconds")) {
            long long seconds = 0;
            for (char c : *timeout) seconds = c >= '0' && c <= '9' ? std::min(seconds * 10 + (c - '0'), 1LL << 31) : 0;
            if (seconds > 0) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
          }
          stream = std::make_unique<FakeWatchStream>(executor_, std::move(*watch), deadline, describe(request));
        } else {
          auto& answer = std::get<FakeResponse>(opened);
          stream = std::make_unique<FakeBufferedStream>(answer.status, std::move(answer.content_type),
                                                        std::move(answer.body));
        }
      } else {
        std::lock_guard handling(state_->handling);
        FakeResponse answer = state_->server.handle(fake);
        record.status = answer.status;
        state_->record(std::move(record));
        co_return std::make_unique<FakeBufferedStream>(answer.status, std::move(answer.content_type),
                                                       std::move(answer.body));
      }
    }
    record.status = stream->status();
    state_->record(std::move(record));
    co_return stream;
  }

  const std::string& server() const noexcept override { return server_; }
  boost::asio::any_io_executor get_executor() const override { return executor_; }

 private:
  static RecordedRequest recorded(const HttpRequest& request) {
    RecordedRequest record = parse_request_target(request.method, request.target);
    record.body = request.body;
    record.content_type = request.content_type;
    return record;
  }

  static FakeRequest fake_request(const HttpRequest& request) {
    FakeRequest fake;
    fake.method = request.method;
    fake.target = request.target;
    fake.body = request.body;
    fake.content_type = request.content_type;
    fake.accept = request.accept;
    fake.user_agent = "kopp";
    return fake;
  }

  std::shared_ptr<FakeCluster::State> state_;
  boost::asio::any_io_executor executor_;
  std::string server_ = "fake://kopp-testing";
};

}  // namespace detail

// --- FakeCluster ----------------------------------------------------------------------

inline FakeCluster::FakeCluster() : state_(std::make_shared<State>()) {}

inline FakeCluster::~FakeCluster() = default;

inline FakeApiServer& FakeCluster::server() noexcept { return state_->server; }

inline Config FakeCluster::config() {
  Config config;
  config.server = "fake://kopp-testing";
  config.default_namespace = "default";
  config.qps = 0;
  return config;
}

inline std::unique_ptr<Transport> FakeCluster::transport(boost::asio::any_io_executor executor) const {
  return std::make_unique<detail::FakeTransport>(state_, std::move(executor));
}

inline std::unique_ptr<Client> FakeCluster::client(boost::asio::any_io_executor executor, ClientOptions options) const {
  return std::make_unique<Client>(transport(std::move(executor)), config(), std::move(options));
}

inline std::function<std::unique_ptr<Transport>(boost::asio::any_io_executor)> FakeCluster::transport_factory() const {
  return [state = state_](boost::asio::any_io_executor executor) -> std::unique_ptr<Transport> {
    return std::make_unique<detail::FakeTransport>(state, std::move(executor));
  };
}

inline std::uint64_t FakeCluster::inject(RequestMatch match, Fault fault, unsigned nth, unsigned times) {
  if (nth == 0) throw std::invalid_argument("FakeCluster::inject: nth counts from 1 (the next matching request)");
  std::lock_guard lock(state_->mutex);
  const auto id = state_->next_fault_id++;
  state_->faults.push_back(State::Injected{id, std::move(match), std::move(fault), nth, times});
  return id;
}

inline void FakeCluster::clear_fault(std::uint64_t id) {
  std::lock_guard lock(state_->mutex);
  std::erase_if(state_->faults, [id](const State::Injected& injected) { return injected.id == id; });
}

inline void FakeCluster::clear_faults() {
  std::lock_guard lock(state_->mutex);
  state_->faults.clear();
}

// requests() and count() first wait for a request being handled to be recorded: whoever saw
// a write's effect (a GET, a watch event) finds the write here too (State::handling).
inline std::vector<RecordedRequest> FakeCluster::requests() const {
  std::lock_guard handling(state_->handling);
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

inline std::size_t FakeCluster::count(const RequestMatch& match) const {
  std::lock_guard handling(state_->handling);
  std::lock_guard lock(state_->mutex);
  return static_cast<std::size_t>(
      std::count_if(state_->requests.begin(), state_->requests.end(),
                    [&](const RecordedRequest& request) { return match.matches(request); }));
}

inline void FakeCluster::clear_requests() {
  std::lock_guard lock(state_->mutex);
  state_->requests.clear();
}

}  // namespace kopp::testing
