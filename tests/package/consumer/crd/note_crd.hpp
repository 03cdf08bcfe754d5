#pragma once
// The consumer's CustomResourceDefinition, for kopp_add_crd from an installed kopp.

#include <boost/json/object.hpp>

namespace consumer {

boost::json::object note_crd();

}  // namespace consumer
