#pragma once
// YAML text of a JSON document (a CRD), for `kubectl apply -f` and for committing next to
// an operator. Emitted with yaml-cpp; strings that YAML 1.1 readers (kubectl's) would read
// as something else ("true", "on", "1.5", "", "null") are quoted, so parsing the YAML
// gives back the same JSON.
//
// A "print my CRD" program for an operator is three lines:
//   int main() {
//       std::cout << kopp::crd::to_yaml(kopp::crd::definition<Memcached>());
//   }

#include <kopp/core/detail/config.hpp>

#include <boost/json/value.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace kopp::crd {

/// One YAML document ("---" first), ending with a newline.
[[nodiscard]] std::string to_yaml(const boost::json::value& document);

/// Several YAML documents, each starting with "---".
[[nodiscard]] std::string to_yaml(const std::vector<boost::json::value>& documents);

/// Writes to_yaml(document) to `out`.
void print_yaml(std::ostream& out, const boost::json::value& document);

/// Writes to_yaml(documents) to `out` (for a manifest of several objects, such as the
/// webhook configurations, kopp_add_crd's FUNCTION may return a vector).
void print_yaml(std::ostream& out, const std::vector<boost::json::value>& documents);

}  // namespace kopp::crd

#if KOPP_HEADER_ONLY
#include <kopp/core/crd/impl/yaml.ipp>
#endif
