#pragma once
// Label selectors, parsed and matched locally, for listing objects from an informer's cache
// with the same selector text the API server takes in `labelSelector`.
//
//   auto selector = kopp::LabelSelector::parse("app=web,tier in (cache, db),!canary");
//   if (selector.matches(pod.metadata.labels)) ...
//
// Syntax (Kubernetes' labels.Parse): requirements separated by commas, each one of
//   key  !key  key=value  key==value  key!=value  key in (v1,v2)  key notin (v1,v2)
//   key>n  key<n   (n an integer; the key must exist and its value be a greater / smaller
//                   integer, as for node affinity)
// Whitespace around tokens is ignored. Keys are qualified names (`[prefix/]name`, name at
// most 63 characters, prefix a DNS subdomain); values are empty or at most 63 characters
// of [A-Za-z0-9-_.] starting and ending alphanumerically.
//
// Guarantees: the empty selector matches everything; `!=` and `notin` also match objects
// without the key (as on the server); all requirements must hold.
// Errors: parse() throws std::invalid_argument naming the position and what was expected.
// Caveats: as on the server, `key in ()` is not an empty set but the set of the empty
// value, the same as `key in ("")` would be: it matches objects whose key is set to "".
// to_string() writes the empty value as nothing, so {"", "a"} is `key in (,a)`.

#include <kopp/core/detail/config.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

class LabelSelector {
 public:
  enum class op { equals, not_equals, in, not_in, exists, does_not_exist, greater_than, less_than };

  struct Requirement {
    std::string key;
    op operation = op::exists;
    std::vector<std::string> values;  ///< sorted, no duplicates

    bool matches(const std::map<std::string, std::string>& labels) const;
    friend bool operator==(const Requirement&, const Requirement&) = default;
  };

  /// The selector that matches everything.
  LabelSelector() = default;

  /// Parses selector text; "" is the selector that matches everything.
  static LabelSelector parse(std::string_view text);
  /// The selector `k1=v1,k2=v2` of a map (metav1.LabelSelector's matchLabels).
  static LabelSelector from_labels(const std::map<std::string, std::string>& labels);

  bool matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const noexcept { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const noexcept { return requirements_; }
  /// Adds a requirement (values are sorted and deduplicated).
  LabelSelector& add(Requirement requirement);

  /// Canonical text the API server accepts (requirements sorted by key).
  std::string to_string() const;

  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace kopp

#if KOPP_HEADER_ONLY
#include <kopp/runtime/cache/impl/label_selector.ipp>
#endif
