#pragma once

namespace kopp {

template <Resource K>
ApiResource ApiResource::of() {
  using traits = resource_traits<K>;
  return ApiResource{std::string(traits::group), std::string(traits::version),
                     std::string(traits::kind), std::string(traits::plural),
                     traits::scope_v == scope::namespaced};
}

inline boost::urls::url ApiResource::url(std::string_view ns, std::string_view name,
                                         std::string_view subresource) const {
  boost::urls::url u;
  auto segments = u.segments();
  u.set_path_absolute(true);
  if (group.empty()) {
    segments.push_back("api");
  } else {
    segments.push_back("apis");
    segments.push_back(group);
  }
  segments.push_back(version);
  if (namespaced && !ns.empty()) {
    segments.push_back("namespaces");
    segments.push_back(ns);
  }
  segments.push_back(plural);
  if (!name.empty()) {
    segments.push_back(name);
    if (!subresource.empty()) segments.push_back(subresource);
  }
  return u;
}

}  // namespace kopp
