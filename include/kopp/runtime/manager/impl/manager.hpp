#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/parse.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <utility>
#include <thread>

namespace kopp {

template <Resource K>
ControllerBuilder<K> Manager::controller(std::string name) {
  ControllerBuilder<K> builder(*client_, *informers_, std::move(name));
  if (resource_traits<K>::namespaced) (void)builder.in_namespace(options_.namespace_);
  (void)builder.recorder(*recorder_).logger(options_.logger);
  (void)builder.on_built([this](std::shared_ptr<ControllerBase> controller) { add(std::move(controller)); });
  return builder;
}

}  // namespace kopp
