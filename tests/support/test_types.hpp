#pragma once
// Hand-written built-in kinds for the client's tests (generated models are a separate
// issue); they keep every field they do not declare in unknown_fields.

#include <kopp/core.hpp>

#include <boost/describe/class.hpp>

#include <map>
#include <optional>
#include <string>

namespace kopp_test {

struct ConfigMap {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  std::map<std::string, std::string> data;
  std::optional<bool> immutable;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(ConfigMap, (), (apiVersion, kind, metadata, data, immutable, unknown_fields))
KOPP_RESOURCE(ConfigMap, "", "v1", "ConfigMap", "configmaps", namespaced)

struct Namespace {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  kopp::UnknownFields unknown_fields;  // spec and status
};
BOOST_DESCRIBE_STRUCT(Namespace, (), (apiVersion, kind, metadata, unknown_fields))
KOPP_RESOURCE(Namespace, "", "v1", "Namespace", "namespaces", cluster)

struct ServiceAccount {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(ServiceAccount, (), (apiVersion, kind, metadata, unknown_fields))
KOPP_RESOURCE(ServiceAccount, "", "v1", "ServiceAccount", "serviceaccounts", namespaced)

}  // namespace kopp_test
