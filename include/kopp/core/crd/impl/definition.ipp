#pragma once

#include <kopp/core/crd/definition.hpp>
// Definitions for kopp/core/crd/definition.hpp.

#include <boost/json/array.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace kopp::crd::detail {

KOPP_DECL std::string_view column_type_name(column_type t) noexcept {
  switch (t) {
    case column_type::string:
      return "string";
    case column_type::integer:
      return "integer";
    case column_type::number:
      return "number";
    case column_type::boolean:
      return "boolean";
    case column_type::date:
      return "date";
  }
  return "string";
}
}  // namespace kopp::crd::detail

namespace kopp::crd {

KOPP_DECL PrinterColumn::PrinterColumn(std::string name_, column_type type_, std::string json_path_)
    : name(std::move(name_)), type(type_), json_path(std::move(json_path_)) {}

KOPP_DECL PrinterColumn& PrinterColumn::description(std::string text) {
  description_text = std::move(text);
  return *this;
}
KOPP_DECL PrinterColumn& PrinterColumn::priority(std::int32_t value) {
  priority_value = value;
  return *this;
}
KOPP_DECL PrinterColumn& PrinterColumn::format(std::string name_) {
  format_name = std::move(name_);
  return *this;
}

KOPP_DECL boost::json::object PrinterColumn::to_json() const {
  boost::json::object out;
  out["name"] = name;
  out["type"] = detail::column_type_name(type);
  if (!format_name.empty()) out["format"] = format_name;
  if (!description_text.empty()) out["description"] = description_text;
  if (priority_value != 0) out["priority"] = priority_value;
  out["jsonPath"] = json_path;
  return out;
}

KOPP_DECL ScaleSubresource::ScaleSubresource(std::string spec_path, std::string status_path)
    : spec_replicas_path(std::move(spec_path)), status_replicas_path(std::move(status_path)) {}

KOPP_DECL ScaleSubresource& ScaleSubresource::label_selector_path(std::string path) {
  label_selector = std::move(path);
  return *this;
}

KOPP_DECL boost::json::object ScaleSubresource::to_json() const {
  boost::json::object out;
  out["specReplicasPath"] = spec_replicas_path;
  out["statusReplicasPath"] = status_replicas_path;
  if (!label_selector.empty()) out["labelSelectorPath"] = label_selector;
  return out;
}
}  // namespace kopp::crd
