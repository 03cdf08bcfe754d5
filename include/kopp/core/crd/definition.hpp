#pragma once
// An apiextensions.k8s.io/v1 CustomResourceDefinition built from C++ resource types.
//
//   boost::json::object crd = kopp::crd::definition<Memcached>();   // all defaults
//
//   auto crd = kopp::crd::custom_resource_definition<CronTabV1, CronTabV2>()
//                  .storage<CronTabV2>()
//                  .deprecated<CronTabV1>("stable.example.com/v1 CronTab is deprecated; use v2")
//                  .short_names({"ct"})
//                  .printer_column(kopp::crd::PrinterColumn("Schedule", kopp::crd::column_type::string,
//                                                           ".spec.cronSpec"))
//                  .build();
//
// Group, kind, plural and scope come from the types' resource traits (KOPP_RESOURCE); every
// version type must agree on them and have a distinct version (checked at compile time).
// metadata.name is plural.group. The schema of each version is kopp::crd::schema<V>().
// The status subresource is on for every version whose type has a `status` member.
// One version is the storage version: the only one, or the one named with storage<V>().
//
// Errors: build() throws std::invalid_argument listing every misuse (no or two storage
// versions, a storage version that is not served, a printer column without a JSONPath, a
// scale path outside .spec/.status, a schema that is not structural, ...).

#include <kopp/core/detail/config.hpp>
#include <kopp/core/crd/schema.hpp>
#include <kopp/core/resource.hpp>

#include <boost/json/object.hpp>

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace kopp::crd {

/// spec.conversion with strategy Webhook: where the API server reaches the conversion
/// webhook (kopp serves it at /convert, Manager::conversion<Hub>()).
struct ConversionWebhook {
  /// In a cluster: the Service in front of the webhook port.
  std::string service_namespace;
  std::string service_name;
  std::string path = "/convert";
  std::int32_t port = 443;
  /// Or, outside a cluster: the whole https URL ("https://127.0.0.1:9443/convert").
  std::string url;
  /// The CA bundle, base64 of the PEM; "" leaves it to cert-manager's CA injector
  /// (annotation cert-manager.io/inject-ca-from, added with annotations()).
  std::string ca_bundle_base64;
};

/// The type of an additional printer column.
enum class column_type { string, integer, number, boolean, date };

/// A column of `kubectl get` (additionalPrinterColumns).
class PrinterColumn {
 public:
  PrinterColumn() = default;
  /// `json_path` is a simple JSONPath into the object, e.g. ".spec.replicas".
  PrinterColumn(std::string name, column_type type, std::string json_path);

  [[nodiscard]] PrinterColumn& description(std::string text);
  /// 0 shows in `kubectl get`; higher priorities only with `-o wide`.
  [[nodiscard]] PrinterColumn& priority(std::int32_t value);
  /// OpenAPI format shown by kubectl, e.g. "int32", "date-time".
  [[nodiscard]] PrinterColumn& format(std::string name);

  [[nodiscard]] boost::json::object to_json() const;

  std::string name;
  column_type type = column_type::string;
  std::string json_path;
  std::string description_text;
  std::int32_t priority_value = 0;
  std::string format_name;
};

/// The scale subresource (`kubectl scale`, HorizontalPodAutoscaler).
class ScaleSubresource {
 public:
  ScaleSubresource() = default;
  /// e.g. (".spec.replicas", ".status.replicas").
  ScaleSubresource(std::string spec_replicas_path, std::string status_replicas_path);
  /// e.g. ".status.selector" (a string label selector the controller writes).
  [[nodiscard]] ScaleSubresource& label_selector_path(std::string path);

  [[nodiscard]] boost::json::object to_json() const;

  std::string spec_replicas_path;
  std::string status_replicas_path;
  std::string label_selector;
};

template <Resource... Versions>
class CustomResourceDefinitionBuilder {
  static_assert(sizeof...(Versions) >= 1, "kopp: a CRD needs at least one version type");
  using first = std::tuple_element_t<0, std::tuple<Versions...>>;

  template <class V>
  static constexpr bool same_resource =
      resource_traits<V>::group == resource_traits<first>::group&& resource_traits<V>::kind ==
      resource_traits<first>::kind&& resource_traits<V>::plural ==
      resource_traits<first>::plural&& resource_traits<V>::scope_v == resource_traits<first>::scope_v;
  static_assert((same_resource<Versions> && ...),
                "kopp: every version type of a CRD needs the same group, kind, plural and "
                "scope in KOPP_RESOURCE");
  static constexpr bool distinct_versions() {
    constexpr std::array<std::string_view, sizeof...(Versions)> names{resource_traits<Versions>::version...};
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (names[i] == names[j]) return false;
    return true;
  }
  static_assert(distinct_versions(), "kopp: two version types of a CRD have the same version");

  template <class V>
  static constexpr std::size_t index_of() {
    static_assert((std::is_same_v<V, Versions> || ...), "kopp: this type is not one of the CRD's version types");
    constexpr std::array<bool, sizeof...(Versions)> is{std::is_same_v<V, Versions>...};
    for (std::size_t i = 0; i < is.size(); ++i)
      if (is[i]) return i;
    return 0;
  }

 public:
  CustomResourceDefinitionBuilder() = default;

  /// Default: the kind in lower case.
  [[nodiscard]] CustomResourceDefinitionBuilder& singular(std::string name);
  [[nodiscard]] CustomResourceDefinitionBuilder& short_names(std::vector<std::string> names);
  /// e.g. {"all"}: `kubectl get all` then lists the resource.
  [[nodiscard]] CustomResourceDefinitionBuilder& categories(std::vector<std::string> names);
  /// Default: kind + "List".
  [[nodiscard]] CustomResourceDefinitionBuilder& list_kind(std::string kind);
  /// Default: on for versions whose type has a `status` member. Asking for it on a type
  /// without `status` is a misuse.
  [[nodiscard]] CustomResourceDefinitionBuilder& status_subresource(bool enabled);
  /// For every version.
  [[nodiscard]] CustomResourceDefinitionBuilder& scale_subresource(ScaleSubresource scale);
  /// A column for every version.
  [[nodiscard]] CustomResourceDefinitionBuilder& printer_column(PrinterColumn column);
  /// A column for version V only.
  template <class V>
  [[nodiscard]] CustomResourceDefinitionBuilder& printer_column(PrinterColumn column);
  /// The version the server stores objects in.
  template <class V>
  [[nodiscard]] CustomResourceDefinitionBuilder& storage();
  /// Default: every version is served.
  template <class V>
  [[nodiscard]] CustomResourceDefinitionBuilder& served(bool enabled);
  /// Marks V deprecated; the server sends `warning` (or its own text when empty) to
  /// clients that use it.
  template <class V>
  [[nodiscard]] CustomResourceDefinitionBuilder& deprecated(std::string warning = std::string());

  /// spec.conversion: strategy Webhook (versions convert through the operator's conversion
  /// webhook) instead of None. A CRD with one version needs none.
  [[nodiscard]] CustomResourceDefinitionBuilder& conversion_webhook(ConversionWebhook webhook);
  /// metadata.annotations of the CRD (e.g. cert-manager.io/inject-ca-from).
  [[nodiscard]] CustomResourceDefinitionBuilder& annotations(std::map<std::string, std::string> values);

  /// The CustomResourceDefinition object. Throws std::invalid_argument listing every
  /// misuse recorded so far.
  [[nodiscard]] boost::json::object build() const;

 private:
  struct version_options {
    bool served = true;
    bool deprecated = false;
    std::string deprecation_warning;
    std::vector<PrinterColumn> columns;
  };

  std::string singular_;
  std::vector<std::string> short_names_;
  std::vector<std::string> categories_;
  std::string list_kind_;
  std::optional<bool> status_subresource_;
  std::optional<ScaleSubresource> scale_;
  std::vector<PrinterColumn> columns_;
  std::optional<std::size_t> storage_;
  std::optional<ConversionWebhook> conversion_;
  std::map<std::string, std::string> annotations_;
  std::array<version_options, sizeof...(Versions)> versions_{};
  std::vector<std::string> misuse_;
};

/// The builder for a CRD whose versions are the given types.
template <Resource... Versions>
[[nodiscard]] CustomResourceDefinitionBuilder<Versions...> custom_resource_definition();

/// The CRD of a single-version resource with every default.
template <Resource K>
[[nodiscard]] boost::json::object definition();

}  // namespace kopp::crd

#include <kopp/core/crd/impl/definition.hpp>
#if KOPP_HEADER_ONLY
#include <kopp/core/crd/impl/definition.ipp>
#endif
