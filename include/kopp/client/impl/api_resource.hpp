#pragma once

namespace kopp {

template <Resource K>
ApiResource ApiResource::of() {
  using traits = resource_traits<K>;
  return ApiResource{std::string(traits::group), std::string(traits::version), std::string(traits::kind),
                     std::string(traits::plural), traits::scope_v == scope::namespaced};
}

}  // namespace kopp
