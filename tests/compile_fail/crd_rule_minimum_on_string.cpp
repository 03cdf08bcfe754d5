// Must NOT compile: `minimum` on a string member.
#include <kopp/core/crd/field_rules.hpp>

#include <boost/describe/class.hpp>

#include <string>

namespace compile_fail {
struct Port {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Port, (), (name))
KOPP_CRD_FIELDS(Port, kopp::crd::field("name").minimum(1))
}  // namespace compile_fail
