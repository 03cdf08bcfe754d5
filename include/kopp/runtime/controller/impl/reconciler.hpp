#pragma once

#include <stdexcept>

namespace kopp {

inline const CacheView& Context::cache() const {
  if (!cache_) throw std::logic_error("this Context has no informer cache");
  return *cache_;
}

inline EventRecorder& Context::recorder() const {
  if (!recorder_) throw std::logic_error("this Context has no event recorder");
  return *recorder_;
}

}  // namespace kopp
