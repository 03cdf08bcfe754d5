#pragma once
// TCP keep-alive for the API server connections (private helper of the transport).
//
// A watch connection is idle for up to a minute between bookmarks; if the peer vanishes
// (a NAT or load balancer dropped the flow, the node died) nothing ever arrives and
// nothing fails: a half-open connection. Keep-alive probes make the kernel notice within
// about a minute (idle 30 s, as Go's net.Dialer that client-go uses, then 3 probes 10 s
// apart) and fail the pending read. The watcher's own idle timeout (WatcherConfig) covers
// the cases probes cannot see, such as a proxy that keeps the TCP side alive.
//
// Errors: none reported; a platform without an option keeps the system default for it.

#include <boost/asio/ip/tcp.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>

namespace kopp::detail {

struct TcpKeepalive {
  std::chrono::seconds idle{30};      ///< silence before the first probe
  std::chrono::seconds interval{10};  ///< between probes
  int probes = 3;                     ///< unanswered probes before the connection fails
};

/// Turns keep-alive on for `socket` (best effort: failures are ignored).
inline void enable_tcp_keepalive(boost::asio::ip::tcp::socket& socket,
                                 const TcpKeepalive& k = TcpKeepalive()) noexcept {
  boost::system::error_code ignored;
  socket.set_option(boost::asio::socket_base::keep_alive(true), ignored);
  const int fd = socket.native_handle();
  if (fd < 0) return;
#if defined(TCP_KEEPIDLE)
  const int idle = static_cast<int>(k.idle.count());
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
#endif
#if defined(TCP_KEEPINTVL)
  const int interval = static_cast<int>(k.interval.count());
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
#endif
#if defined(TCP_KEEPCNT)
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &k.probes, sizeof k.probes);
#endif
}

}  // namespace kopp::detail
