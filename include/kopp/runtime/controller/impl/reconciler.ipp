#pragma once

#include <kopp/runtime/controller/reconciler.hpp>

#include <stdexcept>

namespace kopp {

KOPP_DECL const CacheView& Context::cache() const {
  if (!cache_) throw std::logic_error("this Context has no informer cache");
  return *cache_;
}

KOPP_DECL EventRecorder& Context::recorder() const {
  if (!recorder_) throw std::logic_error("this Context has no event recorder");
  return *recorder_;
}

}  // namespace kopp
