#pragma once
// core/v1 ObjectReference: enough of an object to find it again (Event.regarding,
// Event.related, ...).
//
// Hand-written until the model generator covers core/v1; the generated header will keep
// this path and the type name kopp::api::core::v1::ObjectReference.

#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/class.hpp>

#include <string>

namespace kopp::api::core::v1 {

struct ObjectReference {
  std::string apiVersion;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resourceVersion;
  /// A part of the object, e.g. `spec.containers{web}`; usually empty.
  std::string fieldPath;
  kopp::UnknownFields unknown_fields;

  friend bool operator==(const ObjectReference&, const ObjectReference&) = default;
};
BOOST_DESCRIBE_STRUCT(ObjectReference, (),
                      (apiVersion, kind, namespace_, name, uid, resourceVersion, fieldPath,
                       unknown_fields))

}  // namespace kopp::api::core::v1
