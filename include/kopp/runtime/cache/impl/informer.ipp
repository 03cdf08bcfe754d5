#pragma once

#include <kopp/runtime/cache/informer.hpp>

namespace kopp {

KOPP_DECL boost::asio::awaitable<bool> InformerBase::wait_for_sync(std::chrono::steady_clock::duration timeout) const {
  if (!has_synced()) co_await sync_settled_.wait(timeout);
  co_return has_synced();
}

}  // namespace kopp
