#pragma once

#include <kopp/runtime/webhook/conversion.hpp>

#include <kopp/core/merge_patch.hpp>
#include <kopp/runtime/webhook/admission.hpp>

#include <boost/json/serialize.hpp>

namespace kopp {
namespace conversion_detail {

inline std::string string_at(const boost::json::object& parent, std::string_view key, std::string_view where) {
  const auto* value = parent.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty())
    throw conversion_review_error("ConversionReview: " + std::string(where) + std::string(key) +
                                  (value == nullptr ? " is missing" : " is not a non-empty string"));
  return std::string(value->get_string());
}

inline std::pair<std::string, std::string> split_api_version(std::string_view api_version) {
  const auto slash = api_version.rfind('/');
  if (slash == std::string_view::npos) return {std::string(), std::string(api_version)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

inline const boost::json::object* annotations_of(const boost::json::object& object) {
  const auto* metadata = object.if_contains("metadata");
  if (metadata == nullptr || !metadata->is_object()) return nullptr;
  const auto* annotations = metadata->get_object().if_contains("annotations");
  return annotations != nullptr && annotations->is_object() ? &annotations->get_object() : nullptr;
}

inline boost::json::object& annotations_for_write(boost::json::object& object) {
  auto& metadata = object["metadata"];
  if (!metadata.is_object()) metadata = boost::json::object();
  auto& annotations = metadata.get_object()["annotations"];
  if (!annotations.is_object()) annotations = boost::json::object();
  return annotations.get_object();
}

inline void drop_empty_annotations(boost::json::object& object) {
  auto* metadata = object.if_contains("metadata");
  if (metadata == nullptr || !metadata->is_object()) return;
  auto* annotations = metadata->get_object().if_contains("annotations");
  if (annotations != nullptr && annotations->is_object() && annotations->get_object().empty())
    metadata->get_object().erase("annotations");
}

// The object without kopp's round-trip annotations (they are never part of a diff).
inline boost::json::object without_round_trip_annotations(boost::json::object object) {
  if (annotations_of(object) == nullptr) return object;
  auto& annotations = annotations_for_write(object);
  for (auto it = annotations.begin(); it != annotations.end();) {
    if (std::string_view(it->key()).starts_with(conversion_annotation_prefix))
      it = annotations.erase(it);
    else
      ++it;
  }
  drop_empty_annotations(object);
  return object;
}

// For each leaf of `patch` (a merge patch from `back` to the source), what `back` had there:
// an object where the patch recurses into an object `back` has too, else a leaf: [] when
// `back` lacked the member, [value] when it had one.
inline boost::json::object base_of(const boost::json::object& patch, const boost::json::object* back) {
  boost::json::object base;
  for (const auto& member : patch) {
    const boost::json::value* had = back != nullptr ? back->if_contains(member.key()) : nullptr;
    if (member.value().is_object() && had != nullptr && had->is_object())
      base[member.key()] = base_of(member.value().get_object(), &had->get_object());
    else
      base[member.key()] = had != nullptr ? boost::json::array{*had} : boost::json::array();
  }
  return base;
}

// Applies the leaves of `patch` to `target` where `target` still has what `base` recorded:
// a member the client changed since (through the other version) keeps the client's value.
inline void restore(boost::json::object& target, const boost::json::object& patch, const boost::json::object& base) {
  for (const auto& member : patch) {
    const auto* recorded = base.if_contains(member.key());
    if (recorded == nullptr) continue;
    if (recorded->is_object()) {
      auto* inner = target.if_contains(member.key());
      if (inner != nullptr && inner->is_object() && member.value().is_object())
        restore(inner->get_object(), member.value().get_object(), recorded->get_object());
      continue;
    }
    if (!recorded->is_array()) continue;
    const auto& was = recorded->get_array();
    const auto* now = target.if_contains(member.key());
    const bool unchanged = was.empty() ? now == nullptr : (now != nullptr && *now == was[0]);
    if (!unchanged) continue;
    if (member.value().is_null())
      target.erase(member.key());
    else
      target[member.key()] = member.value();
  }
}

}  // namespace conversion_detail

KOPP_DECL ConversionRequest parse_conversion_review(std::string_view body) {
  namespace d = conversion_detail;
  boost::json::value document;
  try {
    document = parse_json_value(body);
  } catch (const std::exception& e) {
    throw conversion_review_error(std::string("ConversionReview: not JSON: ") + e.what());
  }
  const auto* review = document.if_object();
  if (review == nullptr) throw conversion_review_error("ConversionReview: the body is not a JSON object");
  const std::string api_version = d::string_at(*review, "apiVersion", "");
  const std::string kind = d::string_at(*review, "kind", "");
  if (api_version != "apiextensions.k8s.io/v1" || kind != "ConversionReview")
    throw conversion_review_error(
        "ConversionReview: expected apiVersion apiextensions.k8s.io/v1, kind "
        "ConversionReview; got " +
        api_version + ", " + kind + " (list only v1 in conversionReviewVersions)");
  const auto* request = review->if_contains("request");
  if (request == nullptr || !request->is_object())
    throw conversion_review_error("ConversionReview: request is missing");
  ConversionRequest out;
  out.uid = d::string_at(request->get_object(), "uid", "request.");
  out.desired_api_version = d::string_at(request->get_object(), "desiredAPIVersion", "request.");
  const auto* objects = request->get_object().if_contains("objects");
  if (objects == nullptr || !objects->is_array())
    throw conversion_review_error("ConversionReview: request.objects is missing or not an array");
  for (std::size_t i = 0; i < objects->get_array().size(); ++i) {
    const auto& object = objects->get_array()[i];
    if (!object.is_object())
      throw conversion_review_error("ConversionReview: request.objects[" + std::to_string(i) + "] is not an object");
    out.objects.push_back(object.get_object());
  }
  return out;
}

KOPP_DECL std::string encode_conversion_review(std::string_view uid, const std::vector<boost::json::object>& converted,
                                               const std::string* failure) {
  boost::json::object response{{"uid", uid}};
  if (failure != nullptr) {
    response["result"] = boost::json::object{{"status", "Failure"}, {"message", *failure}};
  } else {
    boost::json::array objects;
    for (const auto& object : converted) objects.push_back(object);
    response["convertedObjects"] = std::move(objects);
    response["result"] = boost::json::object{{"status", "Success"}};
  }
  return boost::json::serialize(boost::json::object{
      {"apiVersion", "apiextensions.k8s.io/v1"}, {"kind", "ConversionReview"}, {"response", std::move(response)}});
}

KOPP_DECL void ConversionScheme::add_hub(const std::string& group, const std::string& kind, const std::string& plural,
                                         const std::string& hub_version) {
  auto& entry = kinds_[group + "/" + kind];
  entry.plural = plural;
  if (!entry.hub_version.empty() && entry.hub_version != hub_version)
    throw std::invalid_argument("conversion of " + kind + "." + group + ": the hub is " + entry.hub_version +
                                " already, not " + hub_version);
  entry.hub_version = hub_version;
}

KOPP_DECL void ConversionScheme::add_spoke(const std::string& group, const std::string& kind,
                                           const std::string& version, Convert to_hub, Convert from_hub) {
  auto it = kinds_.find(group + "/" + kind);
  if (it == kinds_.end() || it->second.hub_version.empty())
    throw std::invalid_argument("conversion of " + kind + "." + group + ": declare the hub before its spokes");
  if (version == it->second.hub_version)
    throw std::invalid_argument("conversion of " + kind + "." + group + ": " + version + " is the hub, not a spoke");
  if (!it->second.spokes.emplace(version, Spoke{std::move(to_hub), std::move(from_hub)}).second)
    throw std::invalid_argument("conversion of " + kind + "." + group + ": spoke " + version + " declared twice");
}

KOPP_DECL std::vector<std::string> ConversionScheme::crd_names() const {
  std::vector<std::string> out;
  for (const auto& entry : kinds_)
    out.push_back(entry.second.plural + "." + entry.first.substr(0, entry.first.find('/')));
  return out;
}

KOPP_DECL boost::json::object ConversionScheme::convert_once(const Kind& kind, const boost::json::object& object,
                                                             std::string_view from, std::string_view to) const {
  auto spoke_of = [&](std::string_view version) -> const Spoke& {
    auto it = kind.spokes.find(version);
    if (it == kind.spokes.end())
      throw std::invalid_argument("no conversion declared for version " + std::string(version) + " (the hub is " +
                                  kind.hub_version + ")");
    return it->second;
  };
  const boost::json::object hub = from == kind.hub_version ? object : spoke_of(from).to_hub(object);
  return to == kind.hub_version ? hub : spoke_of(to).from_hub(hub);
}

KOPP_DECL boost::json::object ConversionScheme::convert(const boost::json::object& object,
                                                        std::string_view desired_api_version) const {
  namespace d = conversion_detail;
  const auto* api_version = object.if_contains("apiVersion");
  const auto* kind_name = object.if_contains("kind");
  if (api_version == nullptr || !api_version->is_string() || kind_name == nullptr || !kind_name->is_string())
    throw std::invalid_argument("an object without apiVersion or kind cannot be converted");
  const auto [group, from] = d::split_api_version(api_version->get_string());
  const auto [desired_group, to] = d::split_api_version(desired_api_version);
  std::string name = "?";
  if (const auto* metadata = object.if_contains("metadata"); metadata && metadata->is_object())
    if (const auto* n = metadata->get_object().if_contains("name"); n && n->is_string()) name = n->get_string();
  const std::string what = std::string(kind_name->get_string()) + " " + name + " from " +
                           std::string(api_version->get_string()) + " to " + std::string(desired_api_version);
  if (group != desired_group) throw std::invalid_argument(what + ": the group differs");
  if (from == to) return object;
  auto it = kinds_.find(group + "/" + std::string(kind_name->get_string()));
  if (it == kinds_.end()) throw std::invalid_argument(what + ": no conversion declared for this kind");
  try {
    const auto source = d::without_round_trip_annotations(object);
    boost::json::object converted = convert_once(it->second, source, from, to);
    // What this version keeps for the destination version from an earlier round trip,
    // restored where the client did not change the member since (its change wins). A
    // malformed record (edited by hand) is ignored, never a failed read.
    if (const auto* annotations = d::annotations_of(object))
      if (const auto* text = annotations->if_contains(std::string(conversion_annotation_prefix) + to);
          text != nullptr && text->is_string()) {
        boost::json::value record;
        try {
          record = parse_json_value(text->get_string());
        } catch (const std::exception&) {
        }
        const auto* fields = record.if_object();
        if (fields != nullptr && fields->contains("patch") && fields->at("patch").is_object() &&
            fields->contains("base") && fields->at("base").is_object())
          d::restore(converted, fields->at("patch").get_object(), fields->at("base").get_object());
      }
    // What the source version has that the destination cannot carry, for the way back:
    // the merge patch from the round trip's result to the source, with what the round trip
    // gave at each of its members (so that a later change by a client can be told apart).
    const auto back = convert_once(it->second, converted, to, from);
    // Metadata is the source's whatever the conversions do (below), so it is not compared.
    auto without_metadata = [](boost::json::object o) {
      o.erase("metadata");
      return boost::json::value(std::move(o));
    };
    const auto back_content = without_metadata(back);
    const auto lost = json_merge_diff(back_content, without_metadata(source));
    // Metadata: the source's, with the converted labels and annotations (the API server
    // refuses any other metadata change); the round-trip annotations of other versions
    // travel on, the destination's own is consumed.
    boost::json::object metadata;
    if (const auto* m = object.if_contains("metadata"); m && m->is_object()) metadata = m->get_object();
    metadata.erase("labels");
    metadata.erase("annotations");
    if (const auto* m = converted.if_contains("metadata"); m && m->is_object()) {
      if (const auto* labels = m->get_object().if_contains("labels")) metadata["labels"] = *labels;
      if (const auto* annotations = m->get_object().if_contains("annotations")) metadata["annotations"] = *annotations;
    }
    converted["metadata"] = std::move(metadata);
    auto& annotations = d::annotations_for_write(converted);
    if (const auto* original = d::annotations_of(object))
      for (const auto& entry : *original)
        if (std::string_view(entry.key()).starts_with(conversion_annotation_prefix))
          annotations[entry.key()] = entry.value();
    annotations.erase(std::string(conversion_annotation_prefix) + to);
    const std::string key = std::string(conversion_annotation_prefix) + from;
    if (!lost.is_object() || lost.get_object().empty()) {
      annotations.erase(key);
    } else {
      boost::json::object record{{"patch", lost}, {"base", d::base_of(lost.get_object(), &back_content.get_object())}};
      annotations[key] = boost::json::serialize(record);
    }
    d::drop_empty_annotations(converted);
    converted["apiVersion"] = desired_api_version;
    return converted;
  } catch (const std::exception& e) {
    throw std::runtime_error("converting " + what + ": " + e.what());
  }
}

KOPP_DECL HttpsServer::Handler conversion_https_handler(std::shared_ptr<const ConversionScheme> scheme,
                                                        std::string path, Logger logger) {
  auto log = std::make_shared<Logger>(logger.with({{"component", "webhook"}, {"webhook", path}}));
  return instrument_webhook(path, [scheme, log](const HttpsRequest& request) -> boost::asio::awaitable<HttpsResponse> {
    if (auto rejected = reject_unless_json_post(request)) co_return *rejected;
    ConversionRequest review;
    try {
      review = parse_conversion_review(request.body);
    } catch (const conversion_review_error& e) {
      log->warn("malformed conversion review", {{"error", e.what()}});
      co_return HttpsResponse(400, std::string(e.what()) + "\n");
    }
    std::vector<boost::json::object> converted;
    converted.reserve(review.objects.size());
    std::string failure;
    try {
      for (const auto& object : review.objects)
        converted.push_back(scheme->convert(object, review.desired_api_version));
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "a conversion failed with a non-standard exception";
    }
    if (!failure.empty()) log->error("conversion failed", {{"error", failure}});
    co_return HttpsResponse(200, encode_conversion_review(review.uid, converted, failure.empty() ? nullptr : &failure),
                            "application/json");
  });
}

}  // namespace kopp
