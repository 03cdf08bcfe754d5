#pragma once
// Label and field selectors of list and watch requests, matched against stored objects as
// the API server's storage predicates do: labels through kopp::LabelSelector, fields from
// the set of field labels each kind supports (metadata.name and metadata.namespace for all,
// a few more for pods, secrets, events and namespaces); any other field is refused with
// the real server's "is not a known field selector" error.

#include <kopp/runtime/cache/label_selector.hpp>
#include <kopp/testing/detail/fake_status.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kopp::testing::detail {

struct FieldRequirement {
  std::string field;
  std::string value;
  bool equals = true;
};

struct Selectors {
  LabelSelector labels;
  std::vector<FieldRequirement> fields;
  bool empty() const { return labels.empty() && fields.empty(); }
};

/// The fields a field selector may name for `resource`, as the server lists them.
inline std::vector<std::string_view> selectable_fields(std::string_view resource) {
  static const std::map<std::string_view, std::vector<std::string_view>> extra{
      {"pods",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"secrets", {"type"}},
      {"namespaces", {"status.phase"}},
      {"events",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
        "reportingComponent", "source", "type"}},
  };
  std::vector<std::string_view> fields{"metadata.name", "metadata.namespace"};
  if (auto it = extra.find(resource); it != extra.end())
    fields.insert(fields.end(), it->second.begin(), it->second.end());
  return fields;
}

/// The 400 for a field selector naming a field the resource cannot be selected by.
inline FakeStatusError unknown_field_selector(std::string_view resource, std::string_view field) {
  std::string known;
  for (std::string_view f : selectable_fields(resource))
    known += (known.empty() ? "\"" : ", \"") + std::string(f) + "\"";
  return bad_request("\"" + std::string(field) + "\" is not a known field selector: only " + known);
}

inline bool field_label_supported(std::string_view resource, std::string_view field) {
  const std::vector<std::string_view> fields = selectable_fields(resource);
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

/// Parses `labelSelector` and `fieldSelector`; throws FakeStatusError 400 as the server does.
inline Selectors parse_selectors(std::string_view resource, std::string_view label_text, std::string_view field_text) {
  Selectors out;
  try {
    out.labels = LabelSelector::parse(label_text);
  } catch (const std::exception& e) {
    throw bad_request(std::string("unable to parse requirement: ") + e.what());
  }
  std::string term;
  auto finish_term = [&] {
    if (term.empty()) return;
    FieldRequirement req;
    std::size_t pos;
    if ((pos = term.find("!=")) != std::string::npos) {
      req.field = term.substr(0, pos);
      req.value = term.substr(pos + 2);
      req.equals = false;
    } else if ((pos = term.find("==")) != std::string::npos) {
      req.field = term.substr(0, pos);
      req.value = term.substr(pos + 2);
    } else if ((pos = term.find('=')) != std::string::npos) {
      req.field = term.substr(0, pos);
      req.value = term.substr(pos + 1);
    } else {
      throw bad_request("invalid selector: '" + std::string(field_text) + "'; can't understand '" + term + "'");
    }
    if (!field_label_supported(resource, req.field)) throw unknown_field_selector(resource, req.field);
    out.fields.push_back(std::move(req));
    term.clear();
  };
  for (std::size_t i = 0; i < field_text.size(); ++i) {
    const char c = field_text[i];
    if (c == '\\' && i + 1 < field_text.size()) {
      term += field_text[++i];
    } else if (c == ',') {
      finish_term();
    } else {
      term += c;
    }
  }
  finish_term();
  return out;
}

/// The value of a dotted field of `object` as the field selector compares it ("" when absent).
inline std::string field_value(const boost::json::object& object, std::string_view field) {
  const boost::json::value* at = nullptr;
  const boost::json::object* current = &object;
  std::size_t start = 0;
  while (current != nullptr) {
    const std::size_t dot = field.find('.', start);
    const std::string_view key =
        field.substr(start, dot == std::string_view::npos ? field.size() - start : dot - start);
    at = current->if_contains(key);
    if (at == nullptr) return "";
    if (dot == std::string_view::npos) break;
    current = at->if_object();
    start = dot + 1;
    if (current == nullptr) return "";
  }
  if (at == nullptr) return "";
  if (const auto* s = at->if_string()) return std::string(*s);
  if (const auto* b = at->if_bool()) return *b ? "true" : "false";
  if (at->is_int64()) return std::to_string(at->get_int64());
  if (at->is_uint64()) return std::to_string(at->get_uint64());
  return "";
}

inline std::map<std::string, std::string> labels_of(const boost::json::object& object) {
  std::map<std::string, std::string> labels;
  if (const auto* meta = object.if_contains("metadata"); meta && meta->is_object())
    if (const auto* l = meta->get_object().if_contains("labels"); l && l->is_object())
      for (const auto& [key, value] : l->get_object())
        if (value.is_string()) labels.emplace(std::string(key), std::string(value.get_string()));
  return labels;
}

inline bool selectors_match(const Selectors& selectors, const boost::json::object& object) {
  if (!selectors.labels.empty() && !selectors.labels.matches(labels_of(object))) return false;
  for (const FieldRequirement& req : selectors.fields)
    if ((field_value(object, req.field) == req.value) != req.equals) return false;
  return true;
}

}  // namespace kopp::testing::detail
