#pragma once

#include <kopp/client/watch_stream.hpp>

namespace kopp {

KOPP_DECL RawWatchStream::RawWatchStream(std::unique_ptr<ResponseStream> response, std::string description)
    : response_(std::move(response)), description_(std::move(description)) {}

KOPP_DECL void RawWatchStream::close() noexcept {
  finished_ = true;
  if (response_) response_->close();
}

KOPP_DECL boost::asio::awaitable<std::optional<RawWatchEvent>> RawWatchStream::next() {
  while (next_index_ >= decoded_.size()) {
    if (deferred_error_) {
      auto error = std::move(*deferred_error_);
      deferred_error_.reset();
      throw error;
    }
    if (finished_) co_return std::nullopt;
    decoded_.clear();
    next_index_ = 0;
    std::size_t n = 0;
    bool closed = false;
    try {
      n = co_await response_->read_some(buffer_);
    } catch (const api_error& e) {
      closed = finished_;  // close() was called while we waited
      if (!closed) {
        finished_ = true;
        if (e.code() == make_error_code(errc::timeout)) throw;
        throw api_error(make_error_code(errc::watch_stream_truncated),
                        description_ + ": connection lost mid-stream (" + e.what() + ")");
      }
    }
    if (closed) co_return std::nullopt;
    if (n == 0) {
      finished_ = true;
      if (auto ec = decoder_.finish()) throw api_error(ec, description_ + ": the stream ended inside an event");
      co_return std::nullopt;
    }
    if (auto ec = decoder_.feed(std::string_view(buffer_.data(), n), decoded_)) {
      // Events decoded before the bad line are still delivered, in order; the error
      // surfaces after them, and then the stream is over.
      finished_ = true;
      response_->close();
      if (decoded_.empty()) throw api_error(ec, description_ + ": " + decoder_.error_detail());
      deferred_error_ = api_error(ec, description_ + ": " + decoder_.error_detail());
    }
  }
  auto event = std::move(decoded_[next_index_++]);
  co_return event;
}
}  // namespace kopp
