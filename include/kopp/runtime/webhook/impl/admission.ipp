#pragma once

#include <kopp/runtime/webhook/admission.hpp>

#include <kopp/client/detail/pem.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/json_patch.hpp>
#include <kopp/core/merge_patch.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace kopp {

KOPP_DECL std::string_view to_string(AdmissionOperation operation) noexcept {
  switch (operation) {
    case AdmissionOperation::create:
      return "CREATE";
    case AdmissionOperation::update:
      return "UPDATE";
    case AdmissionOperation::delete_:
      return "DELETE";
    case AdmissionOperation::connect:
      return "CONNECT";
  }
  return "CREATE";
}

KOPP_DECL Verdict Verdict::deny(std::string message) {
  Verdict v;
  v.allowed = false;
  v.code = 403;
  v.reason = "Forbidden";
  v.message = std::move(message);
  return v;
}

KOPP_DECL Verdict Verdict::invalid(std::vector<FieldCause> causes) {
  Verdict v;
  v.allowed = false;
  v.code = 422;
  v.reason = "Invalid";
  std::string list;
  for (const auto& cause : causes)
    list += (list.empty() ? "" : ", ") + (cause.field.empty() ? cause.message : cause.field + ": " + cause.message);
  // As the API server's own aggregate of field errors reads: one bare, several bracketed.
  v.message = causes.size() > 1 ? "[" + list + "]" : list;
  v.causes = std::move(causes);
  return v;
}

KOPP_DECL Verdict Verdict::error(int code, std::string message) {
  Verdict v;
  v.allowed = false;
  v.code = code;
  v.reason = code == 400 ? "BadRequest" : "InternalError";
  v.message = std::move(message);
  return v;
}

namespace admission_detail {

inline const boost::json::object& object_at(const boost::json::object& parent, std::string_view key,
                                            std::string_view where) {
  const auto* value = parent.if_contains(key);
  if (value == nullptr || !value->is_object())
    throw admission_review_error("AdmissionReview: " + std::string(where) + "." + std::string(key) +
                                 (value == nullptr ? " is missing" : " is not an object"));
  return value->get_object();
}

inline std::string string_at(const boost::json::object& parent, std::string_view key, std::string_view where,
                             bool required = false) {
  const auto* value = parent.if_contains(key);
  if (value == nullptr || value->is_null()) {
    if (required)
      throw admission_review_error("AdmissionReview: " + std::string(where) + "." + std::string(key) + " is missing");
    return {};
  }
  if (!value->is_string())
    throw admission_review_error("AdmissionReview: " + std::string(where) + "." + std::string(key) +
                                 " is not a string");
  return std::string(value->get_string());
}

inline GroupVersionKind gvk_at(const boost::json::object& request, std::string_view key, bool required) {
  if (!required && !request.contains(key)) return {};
  const auto& o = object_at(request, key, "request");
  const std::string where = "request." + std::string(key);
  return {string_at(o, "group", where), string_at(o, "version", where, true), string_at(o, "kind", where, true)};
}

inline GroupVersionResource gvr_at(const boost::json::object& request, std::string_view key, bool required) {
  if (!required && !request.contains(key)) return {};
  const auto& o = object_at(request, key, "request");
  const std::string where = "request." + std::string(key);
  return {string_at(o, "group", where), string_at(o, "version", where, true), string_at(o, "resource", where, true)};
}

inline std::vector<std::string> strings_at(const boost::json::object& parent, std::string_view key,
                                           std::string_view where) {
  std::vector<std::string> out;
  const auto* value = parent.if_contains(key);
  if (value == nullptr || value->is_null()) return out;
  const auto* array = value->if_array();
  if (array == nullptr)
    throw admission_review_error("AdmissionReview: " + std::string(where) + "." + std::string(key) +
                                 " is not an array");
  for (const auto& item : *array) {
    if (!item.is_string())
      throw admission_review_error("AdmissionReview: " + std::string(where) + "." + std::string(key) +
                                   " holds a non-string");
    out.emplace_back(item.get_string());
  }
  return out;
}

}  // namespace admission_detail

KOPP_DECL AdmissionRequest parse_admission_review(std::string_view body) {
  namespace d = admission_detail;
  boost::json::value document;
  try {
    document = parse_json_value(body);
  } catch (const std::exception& e) {
    throw admission_review_error(std::string("AdmissionReview: not JSON: ") + e.what());
  }
  const auto* review = document.if_object();
  if (review == nullptr) throw admission_review_error("AdmissionReview: the body is not a JSON object");
  const std::string api_version = d::string_at(*review, "apiVersion", "", true);
  const std::string kind = d::string_at(*review, "kind", "", true);
  if (api_version != "admission.k8s.io/v1" || kind != "AdmissionReview")
    throw admission_review_error(
        "AdmissionReview: expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got " + api_version + ", " +
        kind + " (list only v1 in admissionReviewVersions)");
  const auto& request = d::object_at(*review, "request", "");
  AdmissionRequest out;
  out.uid = d::string_at(request, "uid", "request", true);
  out.kind = d::gvk_at(request, "kind", true);
  out.resource = d::gvr_at(request, "resource", true);
  out.sub_resource = d::string_at(request, "subResource", "request");
  out.request_kind = request.contains("requestKind") ? d::gvk_at(request, "requestKind", true) : out.kind;
  out.request_resource =
      request.contains("requestResource") ? d::gvr_at(request, "requestResource", true) : out.resource;
  out.name = d::string_at(request, "name", "request");
  out.namespace_ = d::string_at(request, "namespace", "request");
  const std::string operation = d::string_at(request, "operation", "request", true);
  if (operation == "CREATE")
    out.operation = AdmissionOperation::create;
  else if (operation == "UPDATE")
    out.operation = AdmissionOperation::update;
  else if (operation == "DELETE")
    out.operation = AdmissionOperation::delete_;
  else if (operation == "CONNECT")
    out.operation = AdmissionOperation::connect;
  else
    throw admission_review_error("AdmissionReview: request.operation '" + operation +
                                 "' is not one of CREATE, UPDATE, "
                                 "DELETE, CONNECT");
  if (const auto* user = request.if_contains("userInfo"); user != nullptr && user->is_object()) {
    const auto& u = user->get_object();
    out.user.username = d::string_at(u, "username", "request.userInfo");
    out.user.uid = d::string_at(u, "uid", "request.userInfo");
    out.user.groups = d::strings_at(u, "groups", "request.userInfo");
    if (const auto* extra = u.if_contains("extra"); extra != nullptr && extra->is_object())
      for (const auto& entry : extra->get_object())
        if (entry.value().is_array())
          out.user.extra[std::string(entry.key())] =
              d::strings_at(extra->get_object(), entry.key(), "request.userInfo.extra");
  }
  if (const auto* object = request.if_contains("object")) out.object = *object;
  if (const auto* old = request.if_contains("oldObject")) out.old_object = *old;
  if (const auto* dry_run = request.if_contains("dryRun"); dry_run != nullptr && !dry_run->is_null()) {
    if (!dry_run->is_bool()) throw admission_review_error("AdmissionReview: request.dryRun is not a boolean");
    out.dry_run = dry_run->get_bool();
  }
  if (const auto* options = request.if_contains("options")) out.options = *options;
  return out;
}

namespace admission_detail {

inline std::string encode_admission_review(std::string_view request_uid, const Verdict& verdict,
                                           const AdmissionRequest* request) {
  boost::json::object response;
  response["uid"] = request_uid;
  response["allowed"] = verdict.allowed;
  if (!verdict.allowed) {
    boost::json::object status{{"metadata", boost::json::object()}, {"status", "Failure"}, {"code", verdict.code}};
    if (!verdict.reason.empty()) status["reason"] = verdict.reason;
    if (!verdict.message.empty()) status["message"] = verdict.message;
    if (!verdict.causes.empty()) {
      boost::json::array causes;
      for (const auto& cause : verdict.causes)
        causes.push_back(
            boost::json::object{{"field", cause.field}, {"message", cause.message}, {"reason", cause.reason}});
      boost::json::object details{{"causes", std::move(causes)}};
      if (request != nullptr) {
        if (!request->name.empty()) details["name"] = request->name;
        if (!request->kind.group.empty()) details["group"] = request->kind.group;
        if (!request->kind.kind.empty()) details["kind"] = request->kind.kind;
      }
      status["details"] = std::move(details);
    }
    response["status"] = std::move(status);
  }
  if (!verdict.warnings.empty()) {
    boost::json::array warnings;
    for (const auto& w : verdict.warnings) warnings.emplace_back(w);
    response["warnings"] = std::move(warnings);
  }
  if (verdict.allowed && !verdict.patch.empty()) {
    response["patchType"] = "JSONPatch";
    response["patch"] = detail::base64_encode(boost::json::serialize(verdict.patch));
  }
  return boost::json::serialize(boost::json::object{
      {"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", std::move(response)}});
}

}  // namespace admission_detail

KOPP_DECL std::string encode_admission_review(std::string_view request_uid, const Verdict& verdict) {
  return admission_detail::encode_admission_review(request_uid, verdict, nullptr);
}

KOPP_DECL std::string encode_admission_review(const AdmissionRequest& request, const Verdict& verdict) {
  return admission_detail::encode_admission_review(request.uid, verdict, &request);
}

KOPP_DECL boost::json::array defaulting_patch(const boost::json::value& sent, const boost::json::value& decoded,
                                              const boost::json::value& defaulted) {
  // The defaulter's change as a merge patch, applied to what was sent: intermediate
  // objects the sent JSON lacks are created, members the C++ type does not model stay.
  boost::json::value target = sent;
  json_merge_apply(target, json_merge_diff(decoded, defaulted));
  return json_patch_diff(sent, target);
}

namespace admission_detail {

struct WebhookMetrics {
  metrics::CounterFamily& requests;
  metrics::GaugeFamily& in_flight;
  metrics::HistogramFamily& latency;
  static WebhookMetrics& get() {
    auto& registry = metrics::Registry::global();
    static WebhookMetrics m{
        registry.counter("controller_runtime_webhook_requests_total",
                         "Total number of admission requests by HTTP status code.", {"code", "webhook"}),
        registry.gauge("controller_runtime_webhook_requests_in_flight",
                       "Current number of admission requests being served.", {"webhook"}),
        registry.histogram("controller_runtime_webhook_latency_seconds",
                           "Histogram of the latency of processing admission requests", {"webhook"},
                           {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})};
    return m;
  }
};

}  // namespace admission_detail

KOPP_DECL HttpsServer::Handler instrument_webhook(std::string path, HttpsServer::Handler handler) {
  auto& m = admission_detail::WebhookMetrics::get();
  return [path = std::move(path), handler = std::move(handler),
          &m](const HttpsRequest& request) -> boost::asio::awaitable<HttpsResponse> {
    const auto started = std::chrono::steady_clock::now();
    auto& in_flight = m.in_flight.with({{"webhook", path}});
    in_flight.inc();
    struct Done {
      metrics::Gauge& gauge;
      ~Done() { gauge.dec(); }
    } done{in_flight};
    HttpsResponse response = co_await handler(request);
    m.requests.with({{"code", std::to_string(response.status)}, {"webhook", path}}).inc();
    m.latency.with({{"webhook", path}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return response;
  };
}

KOPP_DECL std::optional<HttpsResponse> reject_unless_json_post(const HttpsRequest& request) {
  if (request.method != "POST") return HttpsResponse(405, "a webhook takes POST\n");
  if (request.header("content-type").substr(0, 16) != "application/json")
    return HttpsResponse(415, "a webhook takes Content-Type application/json, not '" +
                                  std::string(request.header("content-type")) + "'\n");
  return std::nullopt;
}

KOPP_DECL HttpsServer::Handler admission_https_handler(std::string path, AdmissionHandler handler, Logger logger) {
  auto log = std::make_shared<Logger>(logger.with({{"component", "webhook"}, {"webhook", path}}));
  auto shared_handler = std::make_shared<AdmissionHandler>(std::move(handler));
  return instrument_webhook(
      path, [log, shared_handler](const HttpsRequest& request) -> boost::asio::awaitable<HttpsResponse> {
        if (auto rejected = reject_unless_json_post(request)) co_return *rejected;
        try {
          const AdmissionRequest admission = parse_admission_review(request.body);
          Verdict verdict;
          try {
            verdict = (*shared_handler)(admission);
          } catch (const std::exception& e) {
            verdict = Verdict::deny(e.what());
          } catch (...) {
            verdict = Verdict::error(500, "internal error in the webhook");
          }
          if (!verdict.allowed) {
            const LogLevel level = verdict.code >= 500 ? LogLevel::error : LogLevel::debug;
            log->log(level, verdict.code >= 500 ? "admission request failed" : "admission request denied",
                     {{"operation", to_string(admission.operation)},
                      {"object", admission.namespace_ + "/" + admission.name},
                      {"code", verdict.code},
                      {"message", verdict.message}});
          }
          co_return HttpsResponse(200, encode_admission_review(admission, verdict), "application/json");
        } catch (const admission_review_error& e) {
          log->warn("malformed admission review", {{"error", e.what()}});
          co_return HttpsResponse(400, std::string(e.what()) + "\n");
        }
      });
}

}  // namespace kopp
