#pragma once
// The meta/v1 Status bodies the fake API server answers with, built as the kube-apiserver
// builds them (apimachinery's errors.NewNotFound, NewAlreadyExists, NewConflict,
// NewInvalid, ...): the same code, reason, message text and details, so that a client sees
// the same error from the fake and from a real server.

#include <kopp/core/status.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopp::testing::detail {

/// A refused request: thrown inside the server, turned into the response at its edge.
struct FakeStatusError {
  unsigned code = 500;
  std::string reason;
  std::string message;
  // details: omitted when every member is empty, as the real server does.
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
};

/// group/resource as the server names it in messages: "configmaps", "deployments.apps".
inline std::string qualified_name(std::string_view group, std::string_view resource_or_kind) {
  std::string out(resource_or_kind);
  if (!group.empty()) out += "." + std::string(group);
  return out;
}

inline boost::json::object status_body(const FakeStatusError& error) {
  boost::json::object body;
  body["kind"] = "Status";
  body["apiVersion"] = "v1";
  body["metadata"] = boost::json::object();
  body["status"] = "Failure";
  body["message"] = error.message;
  if (!error.reason.empty()) body["reason"] = error.reason;
  boost::json::object details;
  if (!error.name.empty()) details["name"] = error.name;
  if (!error.group.empty()) details["group"] = error.group;
  if (!error.kind.empty()) details["kind"] = error.kind;
  if (!error.causes.empty()) {
    boost::json::array causes;
    for (const StatusCause& cause : error.causes) {
      boost::json::object c;
      if (!cause.reason.empty()) c["reason"] = cause.reason;
      if (!cause.message.empty()) c["message"] = cause.message;
      if (!cause.field.empty()) c["field"] = cause.field;
      causes.push_back(std::move(c));
    }
    details["causes"] = std::move(causes);
  }
  if (!details.empty()) body["details"] = std::move(details);
  body["code"] = error.code;
  return body;
}

inline FakeStatusError not_found(std::string_view group, std::string_view resource, std::string_view name) {
  return {404,
          "NotFound",
          qualified_name(group, resource) + " \"" + std::string(name) + "\" not found",
          std::string(name),
          std::string(group),
          std::string(resource),
          {}};
}

inline FakeStatusError already_exists(std::string_view group, std::string_view resource, std::string_view name) {
  return {409,
          "AlreadyExists",
          qualified_name(group, resource) + " \"" + std::string(name) + "\" already exists",
          std::string(name),
          std::string(group),
          std::string(resource),
          {}};
}

inline FakeStatusError conflict(std::string_view group, std::string_view resource, std::string_view name,
                                std::string_view why) {
  return {409,
          "Conflict",
          "Operation cannot be fulfilled on " + qualified_name(group, resource) + " \"" + std::string(name) +
              "\": " + std::string(why),
          std::string(name),
          std::string(group),
          std::string(resource),
          {}};
}

inline constexpr std::string_view stale_object_message =
    "the object has been modified; please apply your changes to the latest version and try again";

/// 422 Invalid: `Kind[.group] "name" is invalid: <field>: <message>` (several causes are
/// listed in brackets, as apimachinery's aggregate error prints them).
inline FakeStatusError invalid(std::string_view group, std::string_view kind, std::string_view name,
                               std::vector<StatusCause> causes) {
  std::string listed;
  for (std::size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) listed += ", ";
    listed += causes[i].field.empty() ? causes[i].message : causes[i].field + ": " + causes[i].message;
  }
  if (causes.size() > 1) listed = "[" + listed + "]";
  return {422,
          "Invalid",
          qualified_name(group, kind) + " \"" + std::string(name) + "\" is invalid: " + listed,
          std::string(name),
          std::string(group),
          std::string(kind),
          std::move(causes)};
}

inline StatusCause invalid_value(std::string field, std::string_view value_text, std::string_view why) {
  return {"FieldValueInvalid", "Invalid value: " + std::string(value_text) + ": " + std::string(why), std::move(field)};
}

inline StatusCause required_value(std::string field, std::string_view why) {
  return {"FieldValueRequired", "Required value: " + std::string(why), std::move(field)};
}

inline StatusCause forbidden_value(std::string field, std::string_view why) {
  return {"FieldValueForbidden", "Forbidden: " + std::string(why), std::move(field)};
}

/// A Go string as %q prints it (the names in the server's messages are plain ASCII).
inline std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline FakeStatusError bad_request(std::string message) {
  return {400, "BadRequest", std::move(message), {}, {}, {}, {}};
}

inline FakeStatusError method_not_allowed(std::string message) {
  return {405, "MethodNotAllowed", std::move(message), {}, {}, {}, {}};
}

inline FakeStatusError not_implemented(std::string what) {
  return {501, "NotImplemented", "the fake API server does not implement " + std::move(what), {}, {}, {}, {}};
}

/// The 404 for a path that no resource serves; the real server answers it with a plain
/// "404 page not found" for unknown groups and this Status for unknown resources.
inline FakeStatusError no_such_path() {
  return {404, "NotFound", "the server could not find the requested resource", {}, {}, {}, {}};
}

}  // namespace kopp::testing::detail
