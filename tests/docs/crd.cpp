// docs/crd.md's example, compiled (tools/docs/snippets.py keeps the two equal).
// clang-format off
// [doc:memcached]
#include <kopp/core.hpp>
#include <kopp/core/crd.hpp>
#include <boost/describe.hpp>

namespace cache {

enum class Tier { Basic, Premium };
BOOST_DESCRIBE_ENUM(Tier, Basic, Premium)

struct MemcachedSpec {
    std::int32_t size = 1;
    std::optional<std::string> image;   // optional: absent, so the server's default applies
    std::optional<std::int32_t> port;
    std::optional<Tier> tier;
    kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(MemcachedSpec, (), (size, image, port, tier, unknown_fields))
KOPP_CRD_FIELDS(MemcachedSpec,
    kopp::crd::field("size").description("Number of pods").minimum(1).maximum(10).required(),
    kopp::crd::field("image").description("Container image").default_value("memcached:1.6.38"),
    kopp::crd::field("port").default_value(11211).minimum(1).maximum(65535),
    kopp::crd::field("tier").default_value("Basic"))
KOPP_CRD_DOC(MemcachedSpec, "MemcachedSpec defines the desired state of Memcached")

struct MemcachedStatus {
    std::vector<kopp::Condition> conditions;
    std::int32_t readyReplicas = 0;
};
BOOST_DESCRIBE_STRUCT(MemcachedStatus, (), (conditions, readyReplicas))

struct Memcached {
    std::string apiVersion;
    std::string kind;
    kopp::ObjectMeta metadata;
    MemcachedSpec spec;
    MemcachedStatus status;
    kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Memcached, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(Memcached, "cache.example.com", "v1alpha1", "Memcached", "memcacheds", namespaced)

}  // namespace cache

boost::json::object crd = kopp::crd::custom_resource_definition<cache::Memcached>()
    .short_names({"mc"})
    .printer_column(kopp::crd::PrinterColumn("Size", kopp::crd::column_type::integer, ".spec.size"))
    .printer_column(kopp::crd::PrinterColumn("Ready", kopp::crd::column_type::integer, ".status.readyReplicas"))
    .scale_subresource(kopp::crd::ScaleSubresource(".spec.size", ".status.readyReplicas"))
    .build();
// [/doc]
// clang-format on
