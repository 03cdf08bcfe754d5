#pragma once
// Admission webhooks' wire format (admission.k8s.io/v1 AdmissionReview) and what a webhook
// decides (Verdict), independent of any kind: the API server POSTs an AdmissionReview with
// a request; the webhook answers one with a response (allowed or not, a status, warnings,
// and for a mutating webhook a JSON patch). Typed defaulters and validators
// (admission_webhook.hpp) are built on this.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/webhook/https_server.hpp>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

enum class AdmissionOperation { create, update, delete_, connect };

/// "CREATE", "UPDATE", "DELETE", "CONNECT".
[[nodiscard]] std::string_view to_string(AdmissionOperation operation) noexcept;

/// Who made the request (authentication.k8s.io/v1 UserInfo).
struct AdmissionUser {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

/// admission.k8s.io/v1 AdmissionRequest: what the API server asks about.
struct AdmissionRequest {
  std::string uid;  // echoed in the response
  GroupVersionKind kind;
  GroupVersionResource resource;
  std::string sub_resource;
  /// The kind and resource the client asked for, when the API server converted the object
  /// to the webhook's version (matchPolicy Equivalent); otherwise equal to kind/resource.
  GroupVersionKind request_kind;
  GroupVersionResource request_resource;
  std::string name;  // may be empty on CREATE with generateName
  std::string namespace_;
  AdmissionOperation operation = AdmissionOperation::create;
  AdmissionUser user;
  /// The object as the API server has it (null on DELETE), and the previous version
  /// (UPDATE; the object being deleted on DELETE), as sent.
  boost::json::value object;
  boost::json::value old_object;
  /// A dry-run request (kubectl --dry-run=server): a webhook with side effects must not
  /// make them. Webhooks that declare sideEffects None are called for dry runs.
  bool dry_run = false;
  /// CreateOptions / UpdateOptions / DeleteOptions of the request.
  boost::json::value options;
};

/// One field's problem in a denial (metav1.StatusCause).
struct FieldCause {
  std::string field;    // "spec.size"
  std::string message;  // "must be at most 10"
  std::string reason = "FieldValueInvalid";
};

/// A webhook's decision about one request.
struct Verdict {
  bool allowed = true;
  /// For a denial: the HTTP code, reason and message the client sees (the API server
  /// prefixes the message with `admission webhook "<name>" denied the request: `).
  int code = 200;
  std::string reason;
  std::string message;
  std::vector<FieldCause> causes;
  /// Shown to the client (kubectl prints them) whether allowed or not.
  std::vector<std::string> warnings;
  /// Mutating webhooks: RFC 6902 operations on the request's object; empty for none.
  boost::json::array patch;

  [[nodiscard]] static Verdict allow() { return Verdict(); }
  /// 403 Forbidden with `message`.
  [[nodiscard]] static Verdict deny(std::string message);
  /// 422 Invalid with one cause per field; the message lists them as the API server's own
  /// validation does (`spec.size: Invalid value: must be at most 10`).
  [[nodiscard]] static Verdict invalid(std::vector<FieldCause> causes);
  /// A failure of the webhook itself (a request it cannot decode: 400; a bug: 500).
  [[nodiscard]] static Verdict error(int code, std::string message);
  /// Adds a warning; returns *this for chaining.
  Verdict& warn(std::string warning) {
    warnings.push_back(std::move(warning));
    return *this;
  }
};

/// A malformed AdmissionReview: what() names the field and the problem.
class admission_review_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Decodes an AdmissionReview body (admission.k8s.io/v1) into its request. Throws
/// admission_review_error for text that is not JSON, another apiVersion or kind, or a
/// request without uid, kind, resource or operation.
[[nodiscard]] AdmissionRequest parse_admission_review(std::string_view body);

/// The AdmissionReview answering `request_uid` with `verdict`, as JSON text.
[[nodiscard]] std::string encode_admission_review(std::string_view request_uid, const Verdict& verdict);
/// The same for `request`, whose object the details of a denial with field causes name
/// (kind, group, name), as the API server's own validation errors do: kubectl then prints
/// `The Memcached "x" is invalid: spec.size: ...` rather than `The request is invalid: ...`.
[[nodiscard]] std::string encode_admission_review(const AdmissionRequest& request, const Verdict& verdict);

/// The JSON patch for a defaulter's change, to apply to `sent` (the object exactly as the
/// API server sent it): the change from `decoded` (sent, decoded into the C++ type and
/// encoded again) to `defaulted` (the same after the defaulter ran). Fields the C++ type
/// does not know, or drops when encoding, are never touched: only what the defaulter
/// changed is patched.
[[nodiscard]] boost::json::array defaulting_patch(const boost::json::value& sent, const boost::json::value& decoded,
                                                  const boost::json::value& defaulted);

/// Decides one admission request. May throw: std::exception becomes a 403 denial with
/// its message (as controller-runtime turns a validator's error into a denial); anything
/// else a 500.
using AdmissionHandler = std::function<Verdict(const AdmissionRequest&)>;

/// `handler` counted in controller-runtime's webhook metrics under webhook=`path`:
/// controller_runtime_webhook_requests_total{code,webhook}, _requests_in_flight{webhook},
/// _latency_seconds{webhook}. Every webhook kopp serves (admission, conversion) is.
[[nodiscard]] HttpsServer::Handler instrument_webhook(std::string path, HttpsServer::Handler handler);

/// The 405 or 415 answer for a request that is not a POST of application/json (what the
/// API server sends a webhook); std::nullopt when it is one.
[[nodiscard]] std::optional<HttpsResponse> reject_unless_json_post(const HttpsRequest& request);

/// The HTTPS handler of an admission webhook at `path`: checks method (POST, else 405)
/// and content type (application/json, else 415), decodes the review (400 with the
/// problem when malformed), runs `handler`, answers the review, logs denials and
/// errors, and counts the request in controller-runtime's webhook metrics
/// (controller_runtime_webhook_requests_total{webhook,code},
/// _requests_in_flight{webhook}, _latency_seconds{webhook}; webhook = path).
[[nodiscard]] HttpsServer::Handler admission_https_handler(std::string path, AdmissionHandler handler,
                                                           Logger logger = Logger());

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/webhook/impl/admission.ipp>
#endif
