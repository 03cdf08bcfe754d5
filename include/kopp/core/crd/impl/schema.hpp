#pragma once
// Definitions for kopp/core/crd/schema.hpp.

#include <boost/core/type_name.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kopp::crd::detail {

/// The described structs being expanded, outermost first, to refuse recursive types.
struct schema_stack {
  std::vector<std::string> types;
};

template <class T>
boost::json::object schema_node(schema_stack& stack);

namespace schema_adl {

template <class T>
constexpr auto fields_of() {
  return kopp_crd_fields(static_cast<const T*>(nullptr));
}
template <class T>
constexpr field_rule type_rule_of() {
  return kopp_crd_type(static_cast<const T*>(nullptr));
}
}  // namespace schema_adl

inline boost::json::value rule_number_value(const rule_number& n) {
  if (n.is_integer) return boost::json::value(n.integer);
  return boost::json::value(n.floating);
}

/// Keys in a readable order: description first, then what the node is, then the rest.
inline boost::json::object description_first(boost::json::object node) {
  if (!node.contains("description")) return node;
  boost::json::object out;
  out.reserve(node.size());
  out.emplace("description", node.at("description"));
  for (const auto& kv : node)
    if (kv.key() != "description") out.emplace(kv.key(), kv.value());
  return out;
}

/// Adds what a field or type rule says to a schema node. `where` names the field in errors.
inline void apply_rule(boost::json::object& node, const field_rule_data& r, std::string_view where) {
  if (!r.description.empty()) node["description"] = r.description;
  if (r.nullable) node["nullable"] = true;
  if (r.minimum) {
    node["minimum"] = rule_number_value(*r.minimum);
    if (r.exclusive_minimum) node["exclusiveMinimum"] = true;
  }
  if (r.maximum) {
    node["maximum"] = rule_number_value(*r.maximum);
    if (r.exclusive_maximum) node["exclusiveMaximum"] = true;
  }
  if (r.min_length) node["minLength"] = *r.min_length;
  if (r.max_length) node["maxLength"] = *r.max_length;
  if (!r.pattern.empty()) node["pattern"] = r.pattern;
  if (!r.format.empty()) node["format"] = r.format;
  if (r.min_items) node["minItems"] = *r.min_items;
  if (r.max_items) node["maxItems"] = *r.max_items;
  if (r.min_properties) node["minProperties"] = *r.min_properties;
  if (r.max_properties) node["maxProperties"] = *r.max_properties;
  if (r.enum_count > 0) {
    boost::json::array values;
    for (std::size_t i = 0; i < r.enum_count; ++i) values.emplace_back(r.enum_values[i]);
    node["enum"] = std::move(values);
  }
  if (r.default_value) {
    const rule_literal& d = *r.default_value;
    switch (d.kind) {
      case literal_kind::boolean:
        node["default"] = d.boolean;
        break;
      case literal_kind::integer:
      case literal_kind::number:
        node["default"] = rule_number_value(d.number);
        break;
      case literal_kind::string:
        node["default"] = d.text;
        break;
      case literal_kind::json: {
        boost::system::error_code ec;
        boost::json::value parsed = boost::json::parse(d.text, ec);
        if (ec)
          throw std::invalid_argument("kopp: the default_json of " + std::string(where) +
                                      " is not valid JSON: " + ec.message());
        node["default"] = std::move(parsed);
        break;
      }
    }
  }
  if (r.preserve_unknown_fields) node["x-kubernetes-preserve-unknown-fields"] = true;
  if (!r.list_type.empty()) node["x-kubernetes-list-type"] = r.list_type;
  if (r.list_map_key_count > 0) {
    boost::json::array keys;
    for (std::size_t i = 0; i < r.list_map_key_count; ++i) keys.emplace_back(r.list_map_keys[i]);
    node["x-kubernetes-list-map-keys"] = std::move(keys);
  }
  if (r.validation_count > 0) {
    boost::json::array rules;
    for (std::size_t i = 0; i < r.validation_count; ++i) {
      boost::json::object v;
      v["rule"] = r.validations[i].rule;
      if (!r.validations[i].message.empty()) v["message"] = r.validations[i].message;
      rules.emplace_back(std::move(v));
    }
    node["x-kubernetes-validations"] = std::move(rules);
  }
}

template <class T>
void apply_type_rule(boost::json::object& node) {
  if constexpr (schema_adl::has_type_rule<T>) {
    static constexpr field_rule rule = schema_adl::type_rule_of<T>();
    apply_rule(node, rule.data(), boost::core::type_name<T>());
  }
}

template <class T>
boost::json::object struct_schema(schema_stack& stack) {
  using info = kopp::detail::json_struct_info<T>;
  std::string name = boost::core::type_name<T>();
  if (std::find(stack.types.begin(), stack.types.end(), name) != stack.types.end())
    throw std::invalid_argument("kopp: " + name +
                                " contains itself; a CRD schema cannot be recursive (make "
                                "the recursive member a boost::json::value)");
  stack.types.push_back(name);
  boost::json::object properties;
  boost::json::array required;
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<info::size>>([&](auto I) {
    if constexpr (!info::is_unknown_sink[I]) {
      using D = boost::mp11::mp_at_c<typename info::members, I>;
      using M = kopp::detail::json_member_t<T, D>;
      constexpr std::string_view key = info::keys[I];
      boost::json::object node = schema_node<M>(stack);
      if constexpr (schema_adl::has_fields<T>) {
        static constexpr auto rules = schema_adl::fields_of<T>();
        for (const field_rule& rule : rules) {
          if (rule.data().name != key) continue;
          apply_rule(node, rule.data(), name + "." + std::string(key));
          if (rule.data().required) required.emplace_back(key);
        }
      }
      properties[key] = description_first(std::move(node));
    }
  });
  stack.types.pop_back();
  boost::json::object node;
  node["type"] = "object";
  if (!properties.empty()) node["properties"] = std::move(properties);
  if (!required.empty()) node["required"] = std::move(required);
  apply_type_rule<T>(node);
  return node;
}

template <class T>
boost::json::object schema_node(schema_stack& stack) {
  using kopp::detail::json_described_enum;
  using kopp::detail::json_described_struct;
  using kopp::detail::json_integer;
  using kopp::detail::json_is_optional;
  using kopp::detail::json_is_string_map;
  using kopp::detail::json_is_vector;
  if constexpr (has_schema_specialisation<T>) {
    return ::kopp::crd::schema_of<T>::schema();
  } else if constexpr (schema_adl::has_hook<T>) {
    return schema_adl::call(static_cast<T*>(nullptr));
  } else if constexpr (std::is_same_v<T, Time> || std::is_same_v<T, MicroTime>) {
    return {{"type", "string"}, {"format", "date-time"}};
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    return int_or_string_schema();
  } else if constexpr (std::is_same_v<T, Quantity>) {
    return quantity_schema();
  } else if constexpr (std::is_same_v<T, RawJson>) {
    return any_json_schema();
  } else if constexpr (std::is_same_v<T, ObjectMeta>) {
    return {{"type", "object"}};
  } else if constexpr (std::is_same_v<T, Condition>) {
    return condition_schema();
  } else if constexpr (has_custom_json<T>) {
    static_assert(kopp::detail::json_always_false<T>,
                  "kopp: T (see 'with T = ...' above) has a custom JSON mapping "
                  "(json_codec or kopp_to_json), so kopp cannot derive its CRD schema: "
                  "specialise kopp::crd::schema_of<T> or declare "
                  "boost::json::object kopp_crd_schema(T*)");
    return {};
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    return any_json_schema();
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  } else if constexpr (std::is_same_v<T, boost::json::array>) {
    return {{"type", "array"}, {"items", any_json_schema()}};
  } else if constexpr (std::is_same_v<T, boost::json::string> || std::is_same_v<T, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (json_integer<T>) {
    constexpr bool fits_int32 = std::is_signed_v<T> ? sizeof(T) <= 4 : sizeof(T) < 4;
    boost::json::object node{{"type", "integer"}, {"format", fits_int32 ? "int32" : "int64"}};
    if constexpr (std::is_unsigned_v<T>) node["minimum"] = 0;
    return node;
  } else if constexpr (std::is_floating_point_v<T>) {
    return {{"type", "number"}, {"format", std::is_same_v<T, float> ? "float" : "double"}};
  } else if constexpr (json_is_optional<T>::value) {
    return schema_node<typename T::value_type>(stack);
  } else if constexpr (json_is_vector<T>::value) {
    return {{"type", "array"}, {"items", description_first(schema_node<typename T::value_type>(stack))}};
  } else if constexpr (json_is_string_map<T>::value) {
    return {{"type", "object"},
            {"additionalProperties", description_first(schema_node<typename T::mapped_type>(stack))}};
  } else if constexpr (json_described_enum<T>) {
    boost::json::array names;
    for (std::string_view n : enum_keys<T>::values) names.emplace_back(n);
    boost::json::object node{{"type", "string"}, {"enum", std::move(names)}};
    apply_type_rule<T>(node);
    return node;
  } else if constexpr (json_described_struct<T>) {
    return struct_schema<T>(stack);
  } else {
    static_assert(kopp::detail::json_always_false<T>,
                  "kopp: T (see 'with T = ...' above) has no CRD schema: describe it with "
                  "BOOST_DESCRIBE_STRUCT / BOOST_DESCRIBE_ENUM, or specialise "
                  "kopp::crd::schema_of<T>, or declare boost::json::object kopp_crd_schema(T*)");
    return {};
  }
}

}  // namespace kopp::crd::detail

namespace kopp::crd {

template <class T>
boost::json::object schema() {
  detail::schema_stack stack;
  return detail::description_first(detail::schema_node<T>(stack));
}

inline boost::json::object int_or_string_schema() {
  return {
      {"anyOf", boost::json::array{boost::json::object{{"type", "integer"}}, boost::json::object{{"type", "string"}}}},
      {"x-kubernetes-int-or-string", true}};
}

inline boost::json::object quantity_schema() {
  boost::json::object node = int_or_string_schema();
  node["pattern"] =
      R"(^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$)";
  return node;
}

inline boost::json::object condition_schema() {
  boost::json::object properties;
  properties["type"] = boost::json::object{
      {"description", "Type of the condition, in CamelCase or foo.example.com/CamelCase."},
      {"type", "string"},
      {"maxLength", 316},
      {"pattern",
       R"(^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$)"}};
  properties["status"] = boost::json::object{{"description", "Status of the condition: True, False or Unknown."},
                                             {"type", "string"},
                                             {"enum", boost::json::array{"True", "False", "Unknown"}}};
  properties["observedGeneration"] =
      boost::json::object{{"description", "The .metadata.generation that the condition was set from."},
                          {"type", "integer"},
                          {"format", "int64"},
                          {"minimum", 0}};
  properties["lastTransitionTime"] =
      boost::json::object{{"description", "When the condition last changed from one status to another."},
                          {"type", "string"},
                          {"format", "date-time"}};
  properties["reason"] =
      boost::json::object{{"description", "Programmatic identifier of the last transition, in CamelCase."},
                          {"type", "string"},
                          {"minLength", 1},
                          {"maxLength", 1024},
                          {"pattern", R"(^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$)"}};
  properties["message"] =
      boost::json::object{{"description", "Human readable details of the transition; may be empty."},
                          {"type", "string"},
                          {"maxLength", 32768}};
  return {{"description", "A status condition (meta/v1 Condition)."},
          {"type", "object"},
          {"properties", std::move(properties)},
          {"required", boost::json::array{"lastTransitionTime", "message", "reason", "status", "type"}}};
}

inline boost::json::object any_json_schema() { return {{"x-kubernetes-preserve-unknown-fields", true}}; }

}  // namespace kopp::crd
