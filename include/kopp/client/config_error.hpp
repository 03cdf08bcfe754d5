#pragma once
// kopp::config_error: a configuration that cannot be loaded or a credential that cannot be
// obtained.

#include <stdexcept>

namespace kopp {

/// The message names the file, the entry and the problem; it never contains a token or key.
struct config_error : std::runtime_error {
  using runtime_error::runtime_error;
};

}  // namespace kopp
