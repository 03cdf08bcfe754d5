#pragma once

#include <kopp/client/api_resource.hpp>

namespace kopp {

KOPP_DECL void check_object_name(std::string_view name, std::string_view verb) {
  std::string problem;
  if (name.empty())
    problem = "is empty, which would address the whole collection";
  else if (name == "." || name == "..")
    problem = "is a relative path segment";
  else if (name.find('/') != std::string_view::npos)
    problem = "contains '/'";
  else if (name.find('%') != std::string_view::npos)
    problem = "contains '%'";
  if (!problem.empty())
    throw std::invalid_argument(std::string(verb) + ": the object name \"" + std::string(name) + "\" " + problem +
                                "; it cannot name one object");
}

KOPP_DECL void check_namespace_name(std::string_view ns) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !ns.empty() && ns.size() <= 63 && alnum(ns.front()) && alnum(ns.back());
  for (char c : ns) ok = ok && (alnum(c) || c == '-');
  if (!ok)
    throw std::invalid_argument("the namespace \"" + std::string(ns) +
                                "\" is not a namespace name (a DNS-1123 label: 1-63 characters of a-z, 0-9 "
                                "and '-', starting and ending with a letter or digit)");
}

KOPP_DECL boost::urls::url ApiResource::url(std::string_view ns, std::string_view name,
                                            std::string_view subresource) const {
  if (!name.empty()) check_object_name(name, kind);
  if (namespaced && !ns.empty()) check_namespace_name(ns);
  boost::urls::url u;
  auto segments = u.segments();
  u.set_path_absolute(true);
  if (group.empty()) {
    segments.push_back("api");
  } else {
    segments.push_back("apis");
    segments.push_back(group);
  }
  segments.push_back(version);
  if (namespaced && !ns.empty()) {
    segments.push_back("namespaces");
    segments.push_back(ns);
  }
  segments.push_back(plural);
  if (!name.empty()) {
    segments.push_back(name);
    if (!subresource.empty()) segments.push_back(subresource);
  }
  return u;
}
}  // namespace kopp
