#pragma once
// kopp::ObjectList<K>: the body of a list response (`{"kind":"ConfigMapList",
// "metadata":{...},"items":[...]}`).

#include <kopp/core/json.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/resource.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopp {

template <class K>
struct ObjectList {
  std::string apiVersion;
  std::string kind;
  ListMeta metadata;
  std::vector<K> items;

  friend bool operator==(const ObjectList&, const ObjectList&) = default;

  // BOOST_DESCRIBE_STRUCT cannot describe a template, so the list maps itself. Unknown
  // top-level keys of a list are dropped: lists are only read.
  friend boost::json::value kopp_to_json(const ObjectList& list) {
    boost::json::object obj;
    obj.reserve(4);
    if (!list.apiVersion.empty()) obj.emplace("apiVersion", list.apiVersion);
    if (!list.kind.empty()) obj.emplace("kind", list.kind);
    obj.emplace("metadata", to_json(list.metadata));
    obj.emplace("items", to_json(list.items));
    return boost::json::value(std::move(obj));
  }

  friend void kopp_from_json(const boost::json::value& v, ObjectList& out, json_path& path) {
    if (!v.is_object()) detail::json_fail_expected(path, "an object", v);
    for (const boost::json::key_value_pair& kv : v.get_object()) {
      const std::string_view key(kv.key().data(), kv.key().size());
      if (kv.value().is_null()) continue;
      json_path::guard segment(path, key);
      if (key == "items")
        from_json(kv.value(), out.items, path);
      else if (key == "metadata")
        from_json(kv.value(), out.metadata, path);
      else if (key == "apiVersion")
        from_json(kv.value(), out.apiVersion, path);
      else if (key == "kind")
        from_json(kv.value(), out.kind, path);
    }
  }
};

/// Kind of the list of K: "ConfigMapList".
template <Resource K>
[[nodiscard]] std::string list_kind() {
  return std::string(resource_traits<K>::kind) + "List";
}

}  // namespace kopp
