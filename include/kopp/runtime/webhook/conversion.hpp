#pragma once
// CRD conversion webhooks, hub and spoke as in kubebuilder: one version of a kind is the hub
// (usually the storage version); each other version (a spoke) converts to and from it. The
// API server POSTs a ConversionReview (apiextensions.k8s.io/v1) with objects and the
// apiVersion it wants; kopp converts each through the hub and answers.
//
//   manager.conversion<CronTabV1>()                      // the hub
//       .spoke<CronTabV2>(v2_to_v1, v1_to_v2)            // void(const V2&, V1&), void(const V1&, V2&)
//       .build();                                        // serves /convert
//
// What kopp does around the user's functions:
// - The destination's metadata starts as a copy of the source's: a conversion function
//   converts spec and status only. The API server refuses a conversion that changes
//   metadata other than labels and annotations, so everything else in metadata is put back
//   from the source whatever the function did.
// - Round trips are lossless. Converting version A to version B, kopp converts the result
//   back to A and records what did not survive (a JSON merge patch, with what the round
//   trip gave at each of its members) in the annotation `conversion.kopp.dev/<A>` of the B
//   object; converting B back to A restores each recorded member that still converts to
//   what the round trip gave, and drops the annotation. A v1 object read and written
//   through v2 keeps the fields v2 cannot represent, as kubebuilder's tutorial does by
//   hand; a member a client changed through v2 keeps the client's value (the change wins
//   over the record).
// - An exception from a conversion function fails the whole review with its message (the
//   API server then fails the client's request); the server keeps serving.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/webhook/https_server.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

/// apiextensions.k8s.io/v1 ConversionRequest.
struct ConversionRequest {
  std::string uid;
  std::string desired_api_version;  // "stable.example.com/v2"
  std::vector<boost::json::object> objects;
};

/// A malformed ConversionReview: what() names the field and the problem.
class conversion_review_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws conversion_review_error for text that is not JSON, another apiVersion or kind, or a
/// request without uid, desiredAPIVersion or objects (each an object).
[[nodiscard]] ConversionRequest parse_conversion_review(std::string_view body);

/// The ConversionReview answering `uid`: Success with `converted`, or Failure with `message`
/// when `failure` is set.
[[nodiscard]] std::string encode_conversion_review(std::string_view uid,
                                                   const std::vector<boost::json::object>& converted,
                                                   const std::string* failure = nullptr);

/// The annotation prefix of lossless round trips (`conversion.kopp.dev/<version>`).
inline constexpr std::string_view conversion_annotation_prefix = "conversion.kopp.dev/";

/// Hub-and-spoke conversions of custom resources as JSON, by group and kind.
class ConversionScheme {
 public:
  using Convert = std::function<boost::json::object(const boost::json::object&)>;

  /// Declares `hub_version` the hub of group/kind. Throws std::invalid_argument when the
  /// kind has another hub already.
  void add_hub(const std::string& group, const std::string& kind, const std::string& plural,
               const std::string& hub_version);
  /// Declares `version` a spoke of group/kind (whose hub must be declared) with its
  /// conversions to and from the hub's JSON. Throws std::invalid_argument for a spoke that
  /// is the hub or is declared twice.
  void add_spoke(const std::string& group, const std::string& kind, const std::string& version, Convert to_hub,
                 Convert from_hub);

  /// `object` (apiVersion and kind set) converted to `desired_api_version`, losslessly (see
  /// the header comment). Throws std::invalid_argument naming the object and the versions
  /// when the kind or a version is not declared; what a conversion function throws.
  [[nodiscard]] boost::json::object convert(const boost::json::object& object,
                                            std::string_view desired_api_version) const;

  /// The names of the CRDs whose kinds are declared ("<plural>.<group>").
  [[nodiscard]] std::vector<std::string> crd_names() const;

 private:
  struct Spoke {
    Convert to_hub;
    Convert from_hub;
  };
  struct Kind {
    std::string plural;
    std::string hub_version;
    std::map<std::string, Spoke, std::less<>> spokes;
  };
  boost::json::object convert_once(const Kind& kind, const boost::json::object& object, std::string_view from,
                                   std::string_view to) const;
  std::map<std::string, Kind, std::less<>> kinds_;  // by "group/kind"
};

/// The HTTPS handler of the conversion webhook (controller-runtime serves it at /convert),
/// counted in the webhook metrics: 405/415 for a request that is not a POST of JSON, 400
/// for a malformed review, else 200 with Success or Failure.
[[nodiscard]] HttpsServer::Handler conversion_https_handler(std::shared_ptr<const ConversionScheme> scheme,
                                                            std::string path = "/convert", Logger logger = Logger());

namespace conversion_detail {
template <Resource From, Resource To, class F>
ConversionScheme::Convert typed(F function) {
  return [function = std::move(function)](const boost::json::object& json) -> boost::json::object {
    const From from = kopp::from_json<From>(json);
    To to{};
    to.metadata = from.metadata;
    function(from, to);
    boost::json::value out = to_json(to);
    auto& object = out.as_object();
    object["apiVersion"] = api_version<To>();
    object["kind"] = std::string(resource_traits<To>::kind);
    return std::move(object);
  };
}
}  // namespace conversion_detail

/// Declares the hub Hub and its spokes in a ConversionScheme (Manager::conversion<Hub>()
/// makes one for the manager's scheme).
template <Resource Hub>
class ConversionBuilder {
 public:
  explicit ConversionBuilder(ConversionScheme& scheme) : scheme_(&scheme) {}

  /// Spoke's conversions: to_hub void(const Spoke&, Hub&), from_hub void(const Hub&, Spoke&).
  template <Resource Spoke, class ToHub, class FromHub>
  requires std::is_invocable_v<ToHub&, const Spoke&, Hub&> && std::is_invocable_v<FromHub&, const Hub&, Spoke&>
      ConversionBuilder& spoke(ToHub to_hub, FromHub from_hub) {
    static_assert(resource_traits<Spoke>::group == resource_traits<Hub>::group &&
                      resource_traits<Spoke>::kind == resource_traits<Hub>::kind,
                  "kopp: a spoke must be another version of the hub's group and kind");
    spokes_.push_back([to_hub = std::move(to_hub), from_hub = std::move(from_hub)](ConversionScheme& scheme) {
      scheme.add_spoke(std::string(resource_traits<Hub>::group), std::string(resource_traits<Hub>::kind),
                       std::string(resource_traits<Spoke>::version), conversion_detail::typed<Spoke, Hub>(to_hub),
                       conversion_detail::typed<Hub, Spoke>(from_hub));
    });
    return *this;
  }

  /// Registers the hub and every spoke. Throws std::invalid_argument without a spoke.
  void build() {
    if (spokes_.empty())
      throw std::invalid_argument("conversion<" + std::string(resource_traits<Hub>::kind) +
                                  ">(): declare at least one spoke<V>() before build()");
    scheme_->add_hub(std::string(resource_traits<Hub>::group), std::string(resource_traits<Hub>::kind),
                     std::string(resource_traits<Hub>::plural), std::string(resource_traits<Hub>::version));
    for (auto& add : spokes_) add(*scheme_);
  }

 private:
  ConversionScheme* scheme_;
  std::vector<std::function<void(ConversionScheme&)>> spokes_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/webhook/impl/conversion.ipp>
#endif
