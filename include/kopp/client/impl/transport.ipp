#pragma once

#include <kopp/client/transport.hpp>

#include <algorithm>
#include <array>

namespace kopp {
namespace detail {

KOPP_DECL std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  // Digits only (delta-seconds); an HTTP-date is ignored (the API server never sends one).
  if (value.empty() || value.size() > 64) return std::nullopt;
  std::int64_t seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min<std::int64_t>(seconds * 10 + (c - '0'), retry_after_ceiling.count());
  }
  return std::chrono::seconds(seconds);
}

}  // namespace detail

KOPP_DECL boost::asio::awaitable<std::string> ResponseStream::read_all(std::size_t limit) {
  std::string body;
  std::array<char, 8192> chunk;
  while (body.size() < limit) {
    const std::size_t n = co_await read_some(chunk);
    if (n == 0) break;
    body.append(chunk.data(), n);
  }
  co_return body;
}

}  // namespace kopp
