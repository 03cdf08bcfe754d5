#pragma once
// Definitions for kopp/core/crd/definition.hpp.

#include <boost/json/array.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace kopp::crd::detail {

/// Lower-case letters, digits and '-', not empty: what the server accepts for resource
/// names (plural, singular, short names, categories).
inline bool is_lower_dns_label(std::string_view s) noexcept {
  if (s.empty() || s.size() > 63) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

inline void check_column(const PrinterColumn& c, std::string_view version, std::vector<std::string>& misuse) {
  const std::string where = "printer column \"" + c.name + "\" of " + std::string(version);
  if (c.name.empty()) misuse.push_back("a printer column of " + std::string(version) + " has no name");
  if (c.json_path.empty() || c.json_path.front() != '.')
    misuse.push_back(where + ": the JSONPath must start with '.' (got \"" + c.json_path + "\")");
  if (c.priority_value < 0) misuse.push_back(where + ": priority must not be negative");
}

inline boost::json::array string_array(const std::vector<std::string>& strings) {
  boost::json::array out;
  for (const std::string& s : strings) out.emplace_back(s);
  return out;
}

template <class V>
constexpr bool has_status_member() {
  using info = kopp::detail::json_struct_info<V>;
  for (std::size_t i = 0; i < info::size; ++i)
    if (!info::is_unknown_sink[i] && info::keys[i] == "status") return true;
  return false;
}

}  // namespace kopp::crd::detail

namespace kopp::crd {

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::singular(std::string name) -> CustomResourceDefinitionBuilder& {
  singular_ = std::move(name);
  return *this;
}

template <Resource... Versions>
CustomResourceDefinitionBuilder<Versions...>& CustomResourceDefinitionBuilder<Versions...>::conversion_webhook(
    ConversionWebhook webhook) {
  conversion_ = std::move(webhook);
  return *this;
}

template <Resource... Versions>
CustomResourceDefinitionBuilder<Versions...>& CustomResourceDefinitionBuilder<Versions...>::annotations(
    std::map<std::string, std::string> values) {
  annotations_ = std::move(values);
  return *this;
}

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::short_names(std::vector<std::string> names)
    -> CustomResourceDefinitionBuilder& {
  short_names_ = std::move(names);
  return *this;
}

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::categories(std::vector<std::string> names)
    -> CustomResourceDefinitionBuilder& {
  categories_ = std::move(names);
  return *this;
}

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::list_kind(std::string kind) -> CustomResourceDefinitionBuilder& {
  list_kind_ = std::move(kind);
  return *this;
}

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::status_subresource(bool enabled)
    -> CustomResourceDefinitionBuilder& {
  status_subresource_ = enabled;
  return *this;
}

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::scale_subresource(ScaleSubresource scale)
    -> CustomResourceDefinitionBuilder& {
  if (scale_) misuse_.push_back("scale_subresource was given twice");
  scale_ = std::move(scale);
  return *this;
}

template <Resource... Versions>
auto CustomResourceDefinitionBuilder<Versions...>::printer_column(PrinterColumn column)
    -> CustomResourceDefinitionBuilder& {
  columns_.push_back(std::move(column));
  return *this;
}

template <Resource... Versions>
template <class V>
auto CustomResourceDefinitionBuilder<Versions...>::printer_column(PrinterColumn column)
    -> CustomResourceDefinitionBuilder& {
  versions_[index_of<V>()].columns.push_back(std::move(column));
  return *this;
}

template <Resource... Versions>
template <class V>
auto CustomResourceDefinitionBuilder<Versions...>::storage() -> CustomResourceDefinitionBuilder& {
  constexpr std::size_t index = index_of<V>();
  if (storage_ && *storage_ != index)
    misuse_.push_back("two storage versions: " +
                      std::string(std::array<std::string_view, sizeof...(Versions)>{
                          resource_traits<Versions>::version...}[*storage_]) +
                      " and " + std::string(resource_traits<V>::version));
  storage_ = index;
  return *this;
}

template <Resource... Versions>
template <class V>
auto CustomResourceDefinitionBuilder<Versions...>::served(bool enabled) -> CustomResourceDefinitionBuilder& {
  versions_[index_of<V>()].served = enabled;
  return *this;
}

template <Resource... Versions>
template <class V>
auto CustomResourceDefinitionBuilder<Versions...>::deprecated(std::string warning) -> CustomResourceDefinitionBuilder& {
  version_options& v = versions_[index_of<V>()];
  v.deprecated = true;
  v.deprecation_warning = std::move(warning);
  return *this;
}

template <Resource... Versions>
boost::json::object CustomResourceDefinitionBuilder<Versions...>::build() const {
  using traits = resource_traits<first>;
  const std::string group(traits::group);
  const std::string kind(traits::kind);
  const std::string plural(traits::plural);
  const std::string crd_name = plural + "." + group;
  std::vector<std::string> misuse = misuse_;

  if (group.find('.') == std::string::npos)
    misuse.push_back("the group \"" + group + "\" needs a dot (a domain such as example.com)");
  if (!detail::is_lower_dns_label(plural))
    misuse.push_back("the plural \"" + plural + "\" must be lower-case letters, digits and '-'");
  const std::string singular = singular_.empty() ? detail::lower(kind) : singular_;
  if (!detail::is_lower_dns_label(singular))
    misuse.push_back("the singular \"" + singular + "\" must be lower-case letters, digits and '-'");
  for (const std::string& s : short_names_)
    if (!detail::is_lower_dns_label(s))
      misuse.push_back("the short name \"" + s + "\" must be lower-case letters, digits and '-'");
  for (const std::string& c : categories_)
    if (!detail::is_lower_dns_label(c))
      misuse.push_back("the category \"" + c + "\" must be lower-case letters, digits and '-'");

  std::optional<std::size_t> storage = storage_;
  if (!storage && sizeof...(Versions) == 1) storage = 0;
  if (!storage) misuse.push_back("no storage version: call storage<V>() for one of the versions");
  if (conversion_) {
    const auto& c = *conversion_;
    const bool service = !c.service_name.empty() || !c.service_namespace.empty();
    if (service == !c.url.empty())
      misuse.push_back(std::string("the conversion webhook needs either a service or a URL, not ") +
                       (service ? "both" : "neither"));
    else if (service && (c.service_name.empty() || c.service_namespace.empty()))
      misuse.push_back("the conversion webhook's service needs a namespace and a name");
    else if (!service && !detail::starts_with(c.url, "https://"))
      misuse.push_back("the conversion webhook's URL \"" + c.url + "\" must start with https://");
    if (sizeof...(Versions) < 2) misuse.push_back("a conversion webhook for a CRD with one version converts nothing");
  }

  if (scale_) {
    if (!detail::starts_with(scale_->spec_replicas_path, ".spec."))
      misuse.push_back("the scale specReplicasPath must start with .spec. (got \"" + scale_->spec_replicas_path +
                       "\")");
    if (!detail::starts_with(scale_->status_replicas_path, ".status."))
      misuse.push_back("the scale statusReplicasPath must start with .status. (got \"" + scale_->status_replicas_path +
                       "\")");
    if (!scale_->label_selector.empty() && !detail::starts_with(scale_->label_selector, ".status.") &&
        !detail::starts_with(scale_->label_selector, ".spec."))
      misuse.push_back("the scale labelSelectorPath must start with .spec. or .status. (got \"" +
                       scale_->label_selector + "\")");
  }

  boost::json::array versions;
  std::size_t index = 0;
  const auto add_version = [&]<class V>(V*) {
    const version_options& options = versions_[index];
    const std::string version(resource_traits<V>::version);
    const bool is_storage = storage && *storage == index;
    if (is_storage && !options.served) misuse.push_back("the storage version " + version + " is not served");
    boost::json::object v;
    v["name"] = version;
    v["served"] = options.served;
    v["storage"] = is_storage;
    if (options.deprecated) {
      v["deprecated"] = true;
      if (!options.deprecation_warning.empty()) v["deprecationWarning"] = options.deprecation_warning;
    }
    try {
      boost::json::object root = schema<V>();
      for (const std::string& p : structural_problems(root))
        misuse.push_back("the schema of " + version + " is not structural: " + p);
      v["schema"] = boost::json::object{{"openAPIV3Schema", std::move(root)}};
    } catch (const std::invalid_argument& e) {
      misuse.push_back("the schema of " + version + ": " + e.what());
    }
    boost::json::object subresources;
    constexpr bool has_status = detail::has_status_member<V>();
    if (status_subresource_.value_or(has_status)) {
      if (!has_status) misuse.push_back("status_subresource(true), but the " + version + " type has no status member");
      subresources["status"] = boost::json::object();
    }
    if (scale_) subresources["scale"] = scale_->to_json();
    if (!subresources.empty()) v["subresources"] = std::move(subresources);
    boost::json::array columns;
    std::vector<std::string> column_names;
    const auto add_column = [&](const PrinterColumn& c) {
      detail::check_column(c, version, misuse);
      if (std::find(column_names.begin(), column_names.end(), c.name) != column_names.end())
        misuse.push_back("two printer columns of " + version + " are named \"" + c.name + "\"");
      column_names.push_back(c.name);
      columns.emplace_back(c.to_json());
    };
    for (const PrinterColumn& c : columns_) add_column(c);
    for (const PrinterColumn& c : options.columns) add_column(c);
    if (!columns.empty()) v["additionalPrinterColumns"] = std::move(columns);
    versions.emplace_back(std::move(v));
    ++index;
  };
  (add_version(static_cast<Versions*>(nullptr)), ...);

  if (!misuse.empty()) {
    std::string message = "kopp: CustomResourceDefinition " + crd_name + ":";
    for (std::size_t i = 0; i < misuse.size(); ++i) message += (i == 0 ? " " : "; ") + misuse[i];
    throw std::invalid_argument(message);
  }

  boost::json::object names;
  names["kind"] = kind;
  names["listKind"] = list_kind_.empty() ? kind + "List" : list_kind_;
  names["plural"] = plural;
  names["singular"] = singular;
  if (!short_names_.empty()) names["shortNames"] = detail::string_array(short_names_);
  if (!categories_.empty()) names["categories"] = detail::string_array(categories_);

  boost::json::object spec;
  spec["group"] = group;
  spec["names"] = std::move(names);
  spec["scope"] = traits::scope_v == kopp::scope::namespaced ? "Namespaced" : "Cluster";
  spec["versions"] = std::move(versions);

  if (conversion_) {
    const auto& c = *conversion_;
    boost::json::object client_config;
    if (!c.url.empty()) {
      client_config["url"] = c.url;
    } else {
      client_config["service"] = boost::json::object{
          {"namespace", c.service_namespace}, {"name", c.service_name}, {"path", c.path}, {"port", c.port}};
    }
    if (!c.ca_bundle_base64.empty()) client_config["caBundle"] = c.ca_bundle_base64;
    spec["conversion"] =
        boost::json::object{{"strategy", "Webhook"},
                            {"webhook", boost::json::object{{"clientConfig", std::move(client_config)},
                                                            {"conversionReviewVersions", boost::json::array{"v1"}}}}};
  }

  boost::json::object crd;
  crd["apiVersion"] = "apiextensions.k8s.io/v1";
  crd["kind"] = "CustomResourceDefinition";
  boost::json::object metadata{{"name", crd_name}};
  if (!annotations_.empty()) {
    boost::json::object annotations;
    for (const auto& [key, value] : annotations_) annotations[key] = value;
    metadata["annotations"] = std::move(annotations);
  }
  crd["metadata"] = std::move(metadata);
  crd["spec"] = std::move(spec);
  return crd;
}

template <Resource... Versions>
CustomResourceDefinitionBuilder<Versions...> custom_resource_definition() {
  return CustomResourceDefinitionBuilder<Versions...>();
}

template <Resource K>
boost::json::object definition() {
  return custom_resource_definition<K>().build();
}

}  // namespace kopp::crd
