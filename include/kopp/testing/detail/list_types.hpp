#pragma once
// ListTypes: what server-side apply needs to know of a kind's schema: how each list is
// merged (atomic: replaced whole; set: a set of scalars; map: elements identified by their
// key fields) and which maps are atomic. Built-in kinds come from a table of the fields the
// API server declares (x-kubernetes-list-type / -list-map-keys / -map-type in its OpenAPI);
// custom resources from the CRD's openAPIV3Schema, as the API server derives them.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kopp::testing::detail {

struct ListType {
  enum class kind { atomic, set, map };
  kind type = kind::atomic;
  std::vector<std::string> keys;  ///< for kind::map: the fields that identify an element
  /// Values of key fields an element may omit (a container port's protocol: "TCP"): the
  /// schema's defaults, with which the API server identifies such an element.
  boost::json::object key_defaults;
};

class ListTypes {
 public:
  /// The table for a built-in kind (empty: every list atomic, the API server's default for
  /// a list without x-kubernetes-list-type). ObjectMeta's lists are known for every kind.
  static ListTypes builtin(std::string_view api_version, std::string_view kind);
  /// From a CRD version's schema.openAPIV3Schema.
  static ListTypes from_openapi_schema(const boost::json::value& schema);

  /// The list at `path`: field names from the object's root with list elements skipped,
  /// e.g. "spec.template.spec.containers.ports". nullptr when not declared (atomic).
  const ListType* list_at(std::string_view path) const;
  /// True when the map (object) at `path` is declared atomic (x-kubernetes-map-type: atomic).
  /// For a list's path: its elements are atomic (an OwnerReference is owned whole).
  bool atomic_map_at(std::string_view path) const;

  void add_list(std::string path, ListType type) { lists_[std::move(path)] = std::move(type); }
  void add_atomic_map(std::string path) { atomic_maps_[std::move(path)] = true; }

 private:
  std::map<std::string, ListType, std::less<>> lists_;
  std::map<std::string, bool, std::less<>> atomic_maps_;
};

}  // namespace kopp::testing::detail

#include <kopp/testing/detail/impl/list_types.ipp>
