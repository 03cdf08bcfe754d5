#pragma once
// The consumer's CustomResourceDefinition and webhook configurations, for kopp_add_crd from
// an installed kopp.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <vector>

namespace consumer {

boost::json::object note_crd();
/// The validating and mutating webhook configurations for Notes, behind a Service, with
/// cert-manager filling caBundle: kopp_add_crd accepts a function returning several documents.
std::vector<boost::json::value> note_webhooks();

}  // namespace consumer
