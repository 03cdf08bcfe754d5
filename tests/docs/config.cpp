// docs/config.md's example, compiled (tools/docs/snippets.py keeps the two equal).
// clang-format off
// [doc:from-environment]
#include <kopp/client/in_cluster.hpp>

void load() {
  kopp::Config config = kopp::from_environment();              // the usual choice
  kopp::Config dev = kopp::from_environment("/tmp/kind.yaml", "kind-dev");
}
// [/doc]
// clang-format on
