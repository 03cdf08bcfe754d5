// docs/core.md's examples, compiled (tools/docs/snippets.py keeps the two equal).
// clang-format off
// [doc:shop]
#include <kopp/core.hpp>
#include <boost/describe.hpp>

namespace shop {

enum class Tier { Free, Pro };
BOOST_DESCRIBE_ENUM(Tier, Free, Pro)

struct ShopSpec {
    std::int32_t replicas = 1;
    Tier tier = Tier::Free;
    std::optional<kopp::IntOrString> maxUnavailable;
    std::map<std::string, std::string> settings;
};
BOOST_DESCRIBE_STRUCT(ShopSpec, (), (replicas, tier, maxUnavailable, settings))

struct ShopStatus {
    std::vector<kopp::Condition> conditions;
    std::int64_t observedGeneration = 0;
};
BOOST_DESCRIBE_STRUCT(ShopStatus, (), (conditions, observedGeneration))
KOPP_JSON_OMIT_ZERO(ShopStatus, observedGeneration)

struct Shop {
    std::string apiVersion;
    std::string kind;
    kopp::ObjectMeta metadata;
    ShopSpec spec;
    ShopStatus status;
    kopp::UnknownFields unknown_fields;  // keeps fields this type does not know
};
BOOST_DESCRIBE_STRUCT(Shop, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(Shop, "example.com", "v1", "Shop", "shops", namespaced)

}  // namespace shop
// [/doc]
// clang-format on

namespace memcached::v1alpha1 {
struct Memcached {
  std::string apiVersion, kind;
  kopp::ObjectMeta metadata;
};
BOOST_DESCRIBE_STRUCT(Memcached, (), (apiVersion, kind, metadata))
KOPP_RESOURCE(Memcached, "cache.example.com", "v1alpha1", "Memcached", "memcacheds", namespaced)
}  // namespace memcached::v1alpha1

// Both halves in one file here; the document says where each goes.
// clang-format off
// [doc:codec-extern]
// memcached/types.hpp, after the types
#if !KOPP_HEADER_ONLY
KOPP_JSON_CODEC_EXTERN(memcached::v1alpha1::Memcached);
#endif
// one .cpp of the operator
#if !KOPP_HEADER_ONLY
KOPP_JSON_CODEC_INSTANTIATE(memcached::v1alpha1::Memcached);
#endif
// [/doc]
// clang-format on

// What the codecs above are for: used here, compiled once.
std::string shop_text(const shop::Shop& s, const memcached::v1alpha1::Memcached& m) {
  return kopp::to_json_string(s) + kopp::to_json_string(m);
}
