#pragma once

#include <kopp/runtime/cache/informer_factory.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kopp {

KOPP_DECL InformerFactory::InformerFactory(Client& client, InformerFactoryOptions options)
    : InformerFactory(client, client.get_executor(), std::move(options)) {}

KOPP_DECL InformerFactory::InformerFactory(Client& client, boost::asio::any_io_executor executor,
                                           InformerFactoryOptions options)
    : client_(&client), executor_(std::move(executor)), options_(std::move(options)) {}

KOPP_DECL InformerFactory::~InformerFactory() { stop(); }

KOPP_DECL void InformerFactory::start() {
  std::lock_guard lock(mutex_);
  started_ = true;
  for (auto& [key, informer] : informers_) informer->start(executor_);
}

KOPP_DECL void InformerFactory::stop() {
  std::lock_guard lock(mutex_);
  for (auto& [key, informer] : informers_) informer->stop();
}

KOPP_DECL std::vector<std::shared_ptr<InformerBase>> InformerFactory::informers() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<InformerBase>> out;
  for (const auto& [key, informer] : informers_) out.push_back(informer);
  return out;
}

KOPP_DECL boost::asio::awaitable<bool> InformerFactory::wait_for_sync(std::chrono::steady_clock::duration timeout) {
  using clock = std::chrono::steady_clock;
  const bool forever = timeout > std::chrono::hours(24 * 365);
  const auto start = clock::now();
  for (const auto& informer : informers()) {
    auto left = clock::duration::max();
    if (!forever) {
      const auto waited = clock::now() - start;
      if (waited >= timeout) {
        if (!informer->has_synced()) co_return false;
        continue;
      }
      left = timeout - waited;
    }
    const bool synced = co_await informer->wait_for_sync(left);
    if (!synced) co_return false;
  }
  co_return true;
}
}  // namespace kopp
