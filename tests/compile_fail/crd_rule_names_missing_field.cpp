// Must NOT compile: a CRD field rule names a member the type does not have ("nmae").
// tests/CMakeLists.txt checks that the compiler rejects it with kopp's diagnostic.
#include <kopp/core/crd/field_rules.hpp>

#include <boost/describe/class.hpp>

#include <string>

namespace compile_fail {
struct Port {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Port, (), (name))
KOPP_CRD_FIELDS(Port, kopp::crd::field("nmae").required())
}  // namespace compile_fail
