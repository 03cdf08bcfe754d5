#pragma once
// Field sets (structured-merge-diff's semantics), their fieldsV1 encoding, the apply merge,
// pruning, conflict detection and the recording of non-apply writes.

#include <kopp/testing/detail/server_side_apply.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace kopp::testing::detail {

namespace ssa {

namespace json = boost::json;

[[noreturn]] inline void not_modelled(const std::string& what) {
  throw PatchError(501, "NotImplemented", what + " is not modelled by kopp's fake API server");
}

// Orders values as the API server does when it sorts fieldsV1: numbers < strings < bools
// < lists < maps.
inline int value_rank(const json::value& value) {
  if (value.is_number()) return 0;
  if (value.is_string()) return 1;
  if (value.is_bool()) return 2;
  if (value.is_array()) return 3;
  return 4;
}

inline int compare_values(const json::value& lhs, const json::value& rhs) {
  const int lr = value_rank(lhs), rr = value_rank(rhs);
  if (lr != rr) return lr < rr ? -1 : 1;
  if (lhs.is_number()) {
    const double l = lhs.to_number<double>(), r = rhs.to_number<double>();
    return l < r ? -1 : (r < l ? 1 : 0);
  }
  if (lhs.is_string()) return lhs.get_string().compare(rhs.get_string()) < 0 ? -1 : (lhs == rhs ? 0 : 1);
  if (lhs.is_bool()) return lhs.get_bool() == rhs.get_bool() ? 0 : (lhs.get_bool() ? 1 : -1);
  const std::string l = json::serialize(lhs), r = json::serialize(rhs);
  return l.compare(r) < 0 ? -1 : (l == r ? 0 : 1);
}

// A path element as fieldsV1 spells it: "f:<field>", "k:<json of the key fields>",
// "v:<json of a set's value>". Ordered fields < keys < values, as the API server sorts.
struct PathElementLess {
  bool operator()(const std::string& lhs, const std::string& rhs) const {
    const auto rank = [](char c) { return c == 'f' ? 0 : c == 'k' ? 1 : 2; };
    if (lhs[0] != rhs[0]) return rank(lhs[0]) < rank(rhs[0]);
    if (lhs[0] == 'f') return lhs < rhs;
    const json::value l = json::parse(std::string_view(lhs).substr(2));
    const json::value r = json::parse(std::string_view(rhs).substr(2));
    if (lhs[0] == 'v') return compare_values(l, r) < 0;
    // Key field lists: name by name, then value by value.
    auto li = l.get_object().begin(), ri = r.get_object().begin();
    for (; li != l.get_object().end() && ri != r.get_object().end(); ++li, ++ri) {
      if (li->key() != ri->key()) return li->key() < ri->key();
      if (const int c = compare_values(li->value(), ri->value()); c != 0) return c < 0;
    }
    return li == l.get_object().end() && ri != r.get_object().end();
  }
};

// A set of paths as a tree (fieldsV1's shape): `member` says the path to this node is in
// the set; children hold longer paths. Empty children are never kept.
struct FieldSet {
  bool member = false;
  std::map<std::string, FieldSet, PathElementLess> children;
  bool empty() const { return !member && children.empty(); }
};

inline void prune_empty(FieldSet& set) {
  for (auto it = set.children.begin(); it != set.children.end();) {
    prune_empty(it->second);
    it = it->second.empty() ? set.children.erase(it) : std::next(it);
  }
}

inline FieldSet set_union(const FieldSet& a, const FieldSet& b) {
  FieldSet out = a;
  out.member = a.member || b.member;
  for (const auto& [element, child] : b.children) {
    auto found = out.children.find(element);
    out.children[element] = found == out.children.end() ? child : set_union(found->second, child);
  }
  return out;
}

// Members of a that are not members of b (not recursive: b's member x leaves x.y in a).
inline FieldSet set_difference(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  out.member = a.member && !b.member;
  for (const auto& [element, child] : a.children) {
    auto found = b.children.find(element);
    FieldSet rest = found == b.children.end() ? child : set_difference(child, found->second);
    if (!rest.empty()) out.children.emplace(element, std::move(rest));
  }
  return out;
}

inline FieldSet set_intersection(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  out.member = a.member && b.member;
  for (const auto& [element, child] : a.children) {
    auto found = b.children.find(element);
    if (found == b.children.end()) continue;
    FieldSet both = set_intersection(child, found->second);
    if (!both.empty()) out.children.emplace(element, std::move(both));
  }
  return out;
}

// A named field with owned children counts as owned itself when pruning: the API server's
// EnsureNamedFieldsAreMembers, so a struct someone still owns a part of is not removed.
inline FieldSet ensure_named_fields(const FieldSet& set) {
  FieldSet out;
  out.member = set.member;
  for (const auto& [element, child] : set.children) {
    FieldSet ensured = ensure_named_fields(child);
    if (element[0] == 'f' && !child.children.empty()) ensured.member = true;
    out.children.emplace(element, std::move(ensured));
  }
  return out;
}

inline FieldSet& insert_path(FieldSet& set, const std::vector<std::string>& path) {
  FieldSet* node = &set;
  for (const auto& element : path) node = &node->children[element];
  node->member = true;
  return *node;
}

// The fields the API server never tracks (stripped from every entry).
inline FieldSet stripped_fields() {
  FieldSet set;
  set.children["f:apiVersion"].member = true;
  set.children["f:kind"].member = true;
  FieldSet& metadata = set.children["f:metadata"];
  metadata.member = true;
  for (const char* name : {"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
                           "managedFields", "resourceVersion"}) {
    metadata.children[std::string("f:") + name].member = true;
  }
  return set;
}

// ---- fieldsV1 encoding -------------------------------------------------------------------

inline json::object encode_fields(const FieldSet& set) {
  json::object out;
  for (const auto& [element, child] : set.children) {
    json::object encoded;
    if (!child.children.empty()) {
      if (child.member) encoded["."] = json::object();
      for (auto& [key, value] : encode_fields(child)) encoded[key] = value;
    }
    out[element] = std::move(encoded);
  }
  return out;
}

inline std::string canonical_element(std::string_view element) {
  if (element.size() < 2 || element[1] != ':')
    not_modelled("the fieldsV1 path element \"" + std::string(element) + "\"");
  if (element[0] == 'f') return std::string(element);
  if (element[0] != 'k' && element[0] != 'v') {
    not_modelled("the fieldsV1 path element \"" + std::string(element) + "\" (list indexes)");
  }
  try {
    json::value parsed = json::parse(element.substr(2));
    if (element[0] == 'k') {
      if (!parsed.is_object()) throw std::invalid_argument("key");
      std::map<std::string, json::value> sorted;
      for (const auto& member : parsed.get_object()) sorted.emplace(member.key(), member.value());
      json::object keys;
      for (auto& [name, value] : sorted) keys[name] = value;
      parsed = std::move(keys);
    }
    return std::string(element.substr(0, 2)) + json::serialize(parsed);
  } catch (const std::exception&) {
    not_modelled("the malformed fieldsV1 path element \"" + std::string(element) + "\"");
  }
}

inline FieldSet decode_fields(const json::value& encoded) {
  FieldSet set;
  const auto* object = encoded.if_object();
  if (!object) not_modelled("a fieldsV1 that is not an object");
  for (const auto& [key, value] : *object) {
    if (key == ".") {
      set.member = true;
      continue;
    }
    FieldSet child = decode_fields(value);
    if (value.is_object() && value.get_object().empty()) child.member = true;
    set.children[canonical_element(key)] = std::move(child);
  }
  return set;
}

// ---- path elements of list items ----------------------------------------------------------

inline std::string child_path(const std::string& path, std::string_view field) {
  return path.empty() ? std::string(field) : path + "." + std::string(field);
}

// The identity of a list item as a fieldsV1 path element; nullopt when it has none (a key
// field missing, a set of non-scalars), with `problem` saying why.
inline std::optional<std::string> item_element(const ListType& type, const json::value& item, std::string& problem) {
  if (type.type == ListType::kind::set) {
    if (item.is_object() || item.is_array() || item.is_null()) {
      problem = "a set's element must be a scalar";
      return std::nullopt;
    }
    return "v:" + json::serialize(item);
  }
  const auto* object = item.if_object();
  if (!object) {
    problem = "associative list with keys has an element that is not a map";
    return std::nullopt;
  }
  std::map<std::string, json::value> keys;
  for (const auto& key : type.keys) {
    if (const auto* value = object->if_contains(key)) {
      keys[key] = *value;
    } else if (const auto* fallback = type.key_defaults.if_contains(key)) {
      keys[key] = *fallback;
    } else {
      problem = "associative list with keys has an element that omits key field \"" + key +
                "\" (and doesn't have default value)";
      return std::nullopt;
    }
  }
  json::object encoded;
  for (auto& [name, value] : keys) encoded[name] = value;
  return "k:" + json::serialize(encoded);
}

// The path element of each item in order; throws for an item without identity or a
// duplicate (what the fake does not model) when `strict`, else skips them.
inline std::vector<std::pair<std::string, const json::value*>> list_items(const ListType& type, const json::array& list,
                                                                          const std::string& path, bool strict) {
  std::vector<std::pair<std::string, const json::value*>> items;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string problem;
    auto element = item_element(type, list[i], problem);
    if (!element) {
      if (strict) {
        throw PatchError(
            500, "InternalError",
            "failed to create typed patch object: ." + path + ": element " + std::to_string(i) + ": " + problem);
      }
      continue;
    }
    if (!seen.insert(*element).second) {
      if (strict) not_modelled("a duplicate entry in the list ." + path + " (" + *element + ")");
      continue;
    }
    items.emplace_back(std::move(*element), &list[i]);
  }
  return items;
}

inline bool is_atomic_list(const ListTypes& types, const std::string& path) {
  const auto* type = types.list_at(path);
  return !type || type->type == ListType::kind::atomic;
}

// ---- the fields a configuration specifies ----------------------------------------------------

inline void collect_fields(const json::value& value, const std::string& path, const ListTypes& types, FieldSet& at) {
  if (value.is_null()) not_modelled("null in an applied configuration (." + path + ")");
  if (value.is_array()) {
    if (is_atomic_list(types, path)) {
      at.member = true;
      return;
    }
    for (const auto& [element, item] : list_items(*types.list_at(path), value.get_array(), path, true)) {
      FieldSet& child = at.children[element];
      child.member = true;
      collect_fields(*item, path, types, child);
    }
    return;
  }
  if (value.is_object()) {
    if (types.atomic_map_at(path) || value.get_object().empty()) {
      at.member = true;
      return;
    }
    for (const auto& [key, child_value] : value.get_object()) {
      FieldSet& child = at.children["f:" + std::string(key)];
      collect_fields(child_value, child_path(path, key), types, child);
    }
    return;
  }
  at.member = true;
}

inline FieldSet field_set_of(const json::value& value, const ListTypes& types) {
  FieldSet set;
  collect_fields(value, "", types, set);
  set.member = false;
  prune_empty(set);
  return set;
}

// ---- comparing two versions of an object -----------------------------------------------------

struct Comparison {
  FieldSet added, removed, modified;
  bool same() const { return added.empty() && removed.empty() && modified.empty(); }
};

inline void compare_at(const json::value* lhs, const json::value* rhs, const std::string& path,
                       std::vector<std::string>& at, const ListTypes& types, Comparison& out) {
  const json::value& some = rhs ? *rhs : *lhs;
  const auto leaf = [&] {
    if (!lhs) {
      insert_path(out.added, at);
    } else if (!rhs) {
      insert_path(out.removed, at);
    } else if (*lhs != *rhs) {
      insert_path(out.modified, at);
    }
  };
  const bool same_kind = !lhs || !rhs || (lhs->kind() == rhs->kind()) || (lhs->is_number() && rhs->is_number());
  const auto empty = [](const json::value* v) {
    return !v || (v->is_array() && v->get_array().empty()) || (v->is_object() && v->get_object().empty());
  };
  if (!same_kind || (!some.is_array() && !some.is_object()) || (empty(lhs) && empty(rhs))) return leaf();
  if (some.is_array()) {
    if (is_atomic_list(types, path)) return leaf();
    const auto& type = *types.list_at(path);
    static const json::array none;
    const auto left = list_items(type, lhs ? lhs->get_array() : none, path, false);
    const auto right = list_items(type, rhs ? rhs->get_array() : none, path, false);
    std::map<std::string, const json::value*, PathElementLess> left_by, right_by;
    for (const auto& [element, item] : left) left_by[element] = item;
    for (const auto& [element, item] : right) right_by[element] = item;
    std::set<std::string, PathElementLess> all;
    for (const auto& [element, item] : left_by) all.insert(element);
    for (const auto& [element, item] : right_by) all.insert(element);
    for (const auto& element : all) {
      at.push_back(element);
      auto l = left_by.find(element);
      auto r = right_by.find(element);
      compare_at(l == left_by.end() ? nullptr : l->second, r == right_by.end() ? nullptr : r->second, path, at, types,
                 out);
      at.pop_back();
    }
  } else {
    if (types.atomic_map_at(path)) return leaf();
    static const json::object none;
    const auto& left = lhs ? lhs->get_object() : none;
    const auto& right = rhs ? rhs->get_object() : none;
    std::set<std::string> keys;
    for (const auto& member : left) keys.emplace(member.key());
    for (const auto& member : right) keys.emplace(member.key());
    for (const auto& key : keys) {
      at.push_back("f:" + key);
      compare_at(left.if_contains(key), right.if_contains(key), child_path(path, key), at, types, out);
      at.pop_back();
    }
  }
  if (!lhs) insert_path(out.added, at);
  if (!rhs) insert_path(out.removed, at);
}

inline Comparison compare_objects(const json::value& lhs, const json::value& rhs, const ListTypes& types) {
  Comparison out;
  std::vector<std::string> at;
  compare_at(&lhs, &rhs, "", at, types, out);
  return out;
}

// ---- merging and removing ----------------------------------------------------------------------

inline json::value merge_values(const json::value* live, const json::value& config, const std::string& path,
                                const ListTypes& types);

// Items ordered as the API server orders a merged list: the configuration's order, with
// the live items it does not mention kept where they were.
inline json::array merge_lists(const json::array& live, const json::array& config, const std::string& path,
                               const ListTypes& types) {
  const auto& type = *types.list_at(path);
  const auto lhs = list_items(type, live, path, false);
  const auto rhs = list_items(type, config, path, true);
  std::map<std::string, const json::value*, PathElementLess> in_lhs, in_rhs;
  for (const auto& [element, item] : lhs) in_lhs[element] = item;
  for (const auto& [element, item] : rhs) in_rhs[element] = item;
  std::vector<std::string> shared;
  for (const auto& [element, item] : rhs) {
    if (in_lhs.count(element)) shared.push_back(element);
  }
  std::size_t next_shared_index = 0;
  std::optional<std::string> next_shared;
  const auto advance_shared = [&] {
    next_shared =
        next_shared_index < shared.size() ? std::optional<std::string>(shared[next_shared_index++]) : std::nullopt;
  };
  advance_shared();
  std::set<std::string, PathElementLess> merged;
  json::array out;
  const auto lookup = [](const auto& map, const std::string& element) -> const json::value* {
    auto found = map.find(element);
    return found == map.end() ? nullptr : found->second;
  };
  std::size_t li = 0, ri = 0;
  while (li < lhs.size() || ri < rhs.size()) {
    if (li < lhs.size() && ri < rhs.size()) {
      const auto& element = lhs[li].first;
      if (element == rhs[ri].first) {
        merged.insert(element);
        out.push_back(merge_values(lhs[li].second, *rhs[ri].second, path, types));
        ++li;
        ++ri;
        advance_shared();
        continue;
      }
      if (in_rhs.count(element) && next_shared && *next_shared != element) {
        ++li;
        continue;
      }
    }
    if (li < lhs.size()) {
      const auto& element = lhs[li].first;
      if (!in_rhs.count(element)) {
        out.push_back(*lhs[li].second);
        ++li;
        continue;
      }
      if (merged.count(element)) ++li;
    }
    if (ri < rhs.size()) {
      const auto& element = rhs[ri].first;
      merged.insert(element);
      out.push_back(merge_values(lookup(in_lhs, element), *rhs[ri].second, path, types));
      ++ri;
      if (next_shared && *next_shared == element) advance_shared();
    }
  }
  return out;
}

inline json::value merge_values(const json::value* live, const json::value& config, const std::string& path,
                                const ListTypes& types) {
  if (config.is_null()) not_modelled("null in an applied configuration (." + path + ")");
  if (!live) return config;
  if (config.is_array() && live->is_array() && !is_atomic_list(types, path)) {
    return merge_lists(live->get_array(), config.get_array(), path, types);
  }
  if (config.is_object() && live->is_object() && !types.atomic_map_at(path)) {
    json::object out = live->get_object();
    for (const auto& [key, value] : config.get_object()) {
      out[key] = merge_values(live->get_object().if_contains(key), value, child_path(path, key), types);
    }
    return out;
  }
  return config;
}

inline void remove_items(json::value& value, const FieldSet& set, const std::string& path, const ListTypes& types) {
  if (auto* object = value.if_object()) {
    for (const auto& [element, child] : set.children) {
      if (element[0] != 'f') continue;
      const std::string key = element.substr(2);
      auto* found = object->if_contains(key);
      if (!found) continue;
      if (child.member) {
        object->erase(key);
      } else {
        remove_items(*found, child, child_path(path, key), types);
      }
    }
  } else if (auto* list = value.if_array(); list && !is_atomic_list(types, path)) {
    const auto& type = *types.list_at(path);
    json::array kept;
    for (auto& item : *list) {
      std::string problem;
      const auto element = item_element(type, item, problem);
      const auto found = element ? set.children.find(*element) : set.children.end();
      if (found == set.children.end()) {
        kept.push_back(item);
      } else if (!found->second.member) {
        remove_items(item, found->second, path, types);
        kept.push_back(item);
      }
    }
    *list = std::move(kept);
  }
}

// ---- managedFields entries ---------------------------------------------------------------------

struct Entry {
  std::string manager, operation, api_version, subresource;
  std::optional<std::string> time;
  FieldSet fields;

  // Managers are told apart by name, operation and subresource; an updater also by the
  // version it wrote (an applier's entry follows its latest apply).
  bool same_manager(const Entry& other) const {
    return manager == other.manager && operation == other.operation && subresource == other.subresource &&
           (operation == "Apply" || api_version == other.api_version);
  }
  // How the API server's conflict message names the manager.
  std::string description() const {
    std::string text = json::serialize(json::value(manager));
    if (!subresource.empty()) text += " with subresource " + json::serialize(json::value(subresource));
    if (operation == "Update") text += " using " + api_version;
    return text;
  }
};

inline std::vector<Entry> decode_entries(const json::value& object) {
  std::vector<Entry> entries;
  const auto* metadata = object.is_object() ? object.get_object().if_contains("metadata") : nullptr;
  const auto* managed =
      metadata && metadata->is_object() ? metadata->get_object().if_contains("managedFields") : nullptr;
  if (!managed || !managed->is_array()) return entries;
  for (const auto& item : managed->get_array()) {
    const auto* fields = item.is_object() ? &item.get_object() : nullptr;
    if (!fields) not_modelled("a managedFields entry that is not an object");
    const auto text = [&](const char* key) {
      const auto* value = fields->if_contains(key);
      return value && value->is_string() ? std::string(value->get_string()) : std::string();
    };
    Entry entry{text("manager"), text("operation"), text("apiVersion"), text("subresource"), std::nullopt, {}};
    if (!text("time").empty()) entry.time = text("time");
    if (const auto* encoded = fields->if_contains("fieldsV1")) entry.fields = decode_fields(*encoded);
    prune_empty(entry.fields);
    entries.push_back(std::move(entry));
  }
  return entries;
}

// Written sorted as the API server sorts them: operation, time, manager, version, subresource.
inline void encode_entries(json::value& object, std::vector<Entry> entries) {
  const FieldSet stripped = stripped_fields();
  std::vector<Entry> kept;
  for (auto& entry : entries) {
    entry.fields = set_difference(entry.fields, stripped);
    prune_empty(entry.fields);
    if (!entry.fields.empty()) kept.push_back(std::move(entry));
  }
  std::sort(kept.begin(), kept.end(), [](const Entry& p, const Entry& q) {
    return std::tie(p.operation, p.time, p.manager, p.api_version, p.subresource) <
           std::tie(q.operation, q.time, q.manager, q.api_version, q.subresource);
  });
  auto& metadata = object.as_object()["metadata"];
  if (!metadata.is_object()) metadata = json::object();
  if (kept.empty()) {
    metadata.get_object().erase("managedFields");
    return;
  }
  json::array encoded;
  for (const auto& entry : kept) {
    json::object item;
    item["manager"] = entry.manager;
    item["operation"] = entry.operation;
    item["apiVersion"] = entry.api_version;
    if (entry.time) item["time"] = *entry.time;
    item["fieldsType"] = "FieldsV1";
    item["fieldsV1"] = encode_fields(entry.fields);
    if (!entry.subresource.empty()) item["subresource"] = entry.subresource;
    encoded.push_back(std::move(item));
  }
  metadata.get_object()["managedFields"] = std::move(encoded);
}

inline json::value without_managed_fields(const json::value& object) {
  json::value copy = object;
  if (auto* metadata = copy.as_object().if_contains("metadata"); metadata && metadata->is_object()) {
    metadata->get_object().erase("managedFields");
  }
  return copy;
}

// The part of a field set a write may touch: the API server resets status on the main
// resource of a kind with a status subresource, and everything but status on "status".
inline FieldSet writable_part(const FieldSet& set, const ApplyOptions& options) {
  FieldSet out = set;
  if (options.subresource == "status") {
    FieldSet only_status;
    if (auto found = set.children.find("f:status"); found != set.children.end()) {
      only_status.children.emplace(*found);
    }
    return only_status;
  }
  if (options.subresource.empty() && options.status_subresource) out.children.erase("f:status");
  return out;
}

inline std::string path_string(const std::vector<std::string>& path) {
  std::string text;
  for (const auto& element : path) {
    if (element[0] == 'f') {
      text += "." + element.substr(2);
    } else if (element[0] == 'v') {
      text += "[=" + element.substr(2) + "]";
    } else {
      const auto keys = json::parse(std::string_view(element).substr(2));
      std::string inner;
      for (const auto& [name, value] : keys.get_object()) {
        inner += (inner.empty() ? "" : ",") + std::string(name) + "=" + json::serialize(value);
      }
      text += "[" + inner + "]";
    }
  }
  return text;
}

inline void list_paths(const FieldSet& set, std::vector<std::string>& at, std::vector<std::string>& out) {
  if (set.member && !at.empty()) out.push_back(path_string(at));
  for (const auto& [element, child] : set.children) {
    at.push_back(element);
    list_paths(child, at, out);
    at.pop_back();
  }
}

[[noreturn]] inline void throw_conflicts(const std::vector<std::pair<const Entry*, FieldSet>>& conflicts) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_manager;
  std::vector<StatusCause> causes;
  std::size_t count = 0;
  for (const auto& [entry, fields] : conflicts) {
    std::vector<std::string> at, paths;
    list_paths(fields, at, paths);
    for (const auto& path : paths) {
      causes.push_back(StatusCause{"FieldManagerConflict", "conflict with " + entry->description(), path});
    }
    count += paths.size();
    by_manager.emplace_back(entry->description(), std::move(paths));
  }
  std::sort(by_manager.begin(), by_manager.end());
  std::string message;
  if (count == 1) {
    message = "Apply failed with 1 conflict: conflict with " + by_manager.front().first + ": " +
              by_manager.front().second.front();
  } else {
    message = "Apply failed with " + std::to_string(count) + " conflicts: ";
    bool first = true;
    for (const auto& [manager, paths] : by_manager) {
      message += (first ? "" : "\n") + std::string("conflicts with ") + manager + ":";
      first = false;
      for (const auto& path : paths) message += "\n- " + path;
    }
  }
  throw PatchError(409, "Conflict", message, std::move(causes));
}

inline std::string text_member(const json::value& object, const char* key) {
  const auto* value = object.get_object().if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace ssa

inline boost::json::value server_side_apply(const boost::json::value* live, const boost::json::value& applied,
                                            const ListTypes& types, const ApplyOptions& options) {
  namespace json = boost::json;
  using namespace ssa;
  if (options.manager.empty()) {
    throw PatchError(422, "Invalid",
                     "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply "
                     "patch");
  }
  if (!applied.is_object())
    throw PatchError(400, "BadRequest", "error decoding YAML: the applied configuration is not an object");
  if (!options.subresource.empty() && options.subresource != "status") {
    not_modelled("server-side apply to the \"" + options.subresource + "\" subresource");
  }
  const std::string api_version = text_member(applied, "apiVersion");
  const std::string kind = text_member(applied, "kind");
  // The API server checks the configuration's group, version and kind against the request's;
  // the fake's request is at the live object's (it does not convert).
  const auto gvk = [](const std::string& version, const std::string& name) {
    return (version.find('/') == std::string::npos ? "/" : "") + version + ", Kind=" + name;
  };
  if (api_version.empty() || kind.empty() ||
      (live && (api_version != text_member(*live, "apiVersion") || kind != text_member(*live, "kind")))) {
    throw PatchError(400, "BadRequest", "invalid object type: " + gvk(api_version, kind));
  }
  if (const auto* metadata = applied.get_object().if_contains("metadata");
      metadata && metadata->is_object() && metadata->get_object().contains("managedFields")) {
    throw PatchError(400, "BadRequest", "metadata.managedFields must be nil");
  }

  // The part of the configuration this write may change.
  json::value config = applied;
  if (options.subresource == "status") {
    json::object kept{{"apiVersion", api_version}, {"kind", kind}};
    if (const auto* status = applied.get_object().if_contains("status")) kept["status"] = *status;
    config = std::move(kept);
  } else if (options.status_subresource) {
    config.get_object().erase("status");
  }

  std::vector<Entry> entries = live ? decode_entries(*live) : std::vector<Entry>{};
  const json::value before = live ? without_managed_fields(*live) : json::value(json::object());
  json::value merged = merge_values(&before, config, "", types);

  Entry self{options.manager, "Apply", api_version, options.subresource, std::nullopt, field_set_of(config, types)};
  FieldSet last;
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->same_manager(self)) {
      last = it->fields;
      self.time = it->time;
      entries.erase(it);
      break;
    }
  }
  // Fields this manager applied before and no longer does go, unless someone else owns them.
  if (!last.empty()) {
    FieldSet owned = ensure_named_fields(self.fields);
    for (const auto& entry : entries) owned = set_union(owned, ensure_named_fields(entry.fields));
    FieldSet gone = set_difference(set_difference(ensure_named_fields(last), owned), stripped_fields());
    prune_empty(gone);
    remove_items(merged, gone, "", types);
  }

  const Comparison changes = compare_objects(before, merged, types);
  const FieldSet changed = set_union(changes.modified, changes.added);
  std::vector<std::pair<const Entry*, FieldSet>> conflicts;
  for (const auto& entry : entries) {
    FieldSet conflict = set_intersection(entry.fields, changed);
    if (!conflict.empty()) conflicts.emplace_back(&entry, std::move(conflict));
  }
  if (!conflicts.empty() && !options.force) throw_conflicts(conflicts);
  for (auto& entry : entries) {
    entry.fields = set_difference(set_difference(entry.fields, changed), changes.removed);
    prune_empty(entry.fields);
  }
  const bool unchanged = changes.same();
  if (!unchanged) self.time = options.now;
  entries.push_back(std::move(self));
  json::value result = unchanged && live ? before : merged;
  encode_entries(result, std::move(entries));
  return result;
}

inline void record_update(boost::json::value& after, const boost::json::value* before, const ListTypes& types,
                          const ApplyOptions& options) {
  namespace json = boost::json;
  using namespace ssa;
  if (!after.is_object()) return;
  std::vector<Entry> entries;
  const auto* metadata = after.get_object().if_contains("metadata");
  const auto* sent = metadata && metadata->is_object() ? metadata->get_object().if_contains("managedFields") : nullptr;
  if (sent && sent->is_array() && sent->get_array().size() == 1 && sent->get_array()[0].is_object() &&
      sent->get_array()[0].get_object().empty()) {
    // [{}] is the documented way to strip managedFields.
    after.get_object()["metadata"].get_object().erase("managedFields");
    return;
  }
  // A write that leaves managedFields out (or empty) keeps the live ones, so that clients
  // unaware of them cannot drop them.
  if (sent && sent->is_array() && !sent->get_array().empty()) {
    entries = decode_entries(after);
  } else if (before) {
    entries = decode_entries(*before);
  }
  const json::value old_object = before ? without_managed_fields(*before) : json::value(json::object());
  const json::value new_object = without_managed_fields(after);
  Comparison changes = compare_objects(old_object, new_object, types);
  const FieldSet changed = writable_part(set_union(changes.modified, changes.added), options);
  const FieldSet removed = writable_part(changes.removed, options);

  Entry self{options.manager, "Update", text_member(after, "apiVersion"), options.subresource, options.now, changed};
  for (auto& entry : entries) {
    entry.fields = set_difference(set_difference(entry.fields, changed), removed);
    prune_empty(entry.fields);
  }
  FieldSet kept_self = set_difference(self.fields, stripped_fields());
  prune_empty(kept_self);
  if (!kept_self.empty()) {
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it->same_manager(self)) {
        self.fields = set_union(self.fields, it->fields);
        entries.erase(it);
        break;
      }
    }
    entries.push_back(std::move(self));
  }
  encode_entries(after, std::move(entries));
}

}  // namespace kopp::testing::detail
