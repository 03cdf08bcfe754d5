#pragma once
// meta/v1 Status: what the API server returns with a failed request (and for some
// successful deletes). The client layer decodes it and carries it in its errors.

#include <kopp/core/detail/config.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <kopp/core/json_options.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

/// One reason for a failure; `field` is a JSON path such as `spec.replicas`.
struct StatusCause {
  std::string reason;  // "FieldValueInvalid", ... (Go calls this member Type)
  std::string message;
  std::string field;

  friend bool operator==(const StatusCause&, const StatusCause&) = default;
};
BOOST_DESCRIBE_STRUCT(StatusCause, (), (reason, message, field))

struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::string uid;
  std::vector<StatusCause> causes;
  std::int32_t retryAfterSeconds = 0;

  friend bool operator==(const StatusDetails&, const StatusDetails&) = default;
};
BOOST_DESCRIBE_STRUCT(StatusDetails, (), (name, group, kind, uid, causes, retryAfterSeconds))
KOPP_JSON_OMIT_ZERO(StatusDetails, retryAfterSeconds)

struct Status {
  std::string apiVersion;
  std::string kind;
  ListMeta metadata;
  std::string status;  // "Success" or "Failure"
  std::string message;
  std::string reason;  // see kopp::status_reason
  std::optional<StatusDetails> details;
  std::int32_t code = 0;  // the HTTP status code
  UnknownFields unknown_fields;

  [[nodiscard]] bool is_success() const noexcept { return status == "Success"; }
  [[nodiscard]] bool is_failure() const noexcept { return status == "Failure"; }

  friend bool operator==(const Status&, const Status&) = default;
};
BOOST_DESCRIBE_STRUCT(Status, (), (apiVersion, kind, metadata, status, message, reason, details, code, unknown_fields))
KOPP_JSON_OMIT_ZERO(Status, code)

/// Values of Status::reason (apimachinery's metav1.StatusReason).
namespace status_reason {
inline constexpr std::string_view unknown = "";
inline constexpr std::string_view unauthorized = "Unauthorized";
inline constexpr std::string_view forbidden = "Forbidden";
inline constexpr std::string_view not_found = "NotFound";
inline constexpr std::string_view already_exists = "AlreadyExists";
inline constexpr std::string_view conflict = "Conflict";
inline constexpr std::string_view gone = "Gone";
inline constexpr std::string_view invalid = "Invalid";
inline constexpr std::string_view server_timeout = "ServerTimeout";
inline constexpr std::string_view timeout = "Timeout";
inline constexpr std::string_view too_many_requests = "TooManyRequests";
inline constexpr std::string_view bad_request = "BadRequest";
inline constexpr std::string_view method_not_allowed = "MethodNotAllowed";
inline constexpr std::string_view not_acceptable = "NotAcceptable";
inline constexpr std::string_view request_entity_too_large = "RequestEntityTooLarge";
inline constexpr std::string_view unsupported_media_type = "UnsupportedMediaType";
inline constexpr std::string_view internal_error = "InternalError";
inline constexpr std::string_view expired = "Expired";
inline constexpr std::string_view service_unavailable = "ServiceUnavailable";
}  // namespace status_reason

}  // namespace kopp

#if !KOPP_HEADER_ONLY
// Compiled mode: the JSON codecs are compiled once (core/impl/codecs.ipp).
#include <kopp/core/json.hpp>

KOPP_JSON_CODEC_EXTERN(kopp::StatusCause);
KOPP_JSON_CODEC_EXTERN(kopp::StatusDetails);
KOPP_JSON_CODEC_EXTERN(kopp::Status);
#endif
