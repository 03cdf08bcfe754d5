// The control case of the compile_fail tests: the same shape with valid rules compiles,
// so a failure of the others is the rule check and not a broken include.
#include <kopp/core/crd/field_rules.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>
#include <string>

namespace compile_fail {
struct Port {
  std::string name;
  std::int32_t number = 0;
};
BOOST_DESCRIBE_STRUCT(Port, (), (name, number))
KOPP_CRD_FIELDS(Port, kopp::crd::field("name").required().min_length(1), kopp::crd::field("number").minimum(1))
}  // namespace compile_fail
