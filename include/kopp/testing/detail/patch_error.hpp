#pragma once
// PatchError: a patch, an apply or a write the fake API server refuses, carrying what the
// real kube-apiserver answers in that case (HTTP status, Status reason, message, causes),
// so that the fake's error reaches the client exactly as the real one would.

#include <kopp/core/status.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kopp::testing::detail {

class PatchError : public std::runtime_error {
 public:
  PatchError(unsigned status, std::string reason, std::string message, std::vector<StatusCause> causes = {})
      : std::runtime_error(message), status_(status), reason_(std::move(reason)), causes_(std::move(causes)) {}

  /// The HTTP status: 400, 409, 415, 422, 500, 501, ...
  unsigned status() const noexcept { return status_; }
  /// The Status reason ("Invalid", "Conflict", "BadRequest", "UnsupportedMediaType", ...).
  const std::string& reason() const noexcept { return reason_; }
  const std::vector<StatusCause>& causes() const noexcept { return causes_; }

 private:
  unsigned status_;
  std::string reason_;
  std::vector<StatusCause> causes_;
};

}  // namespace kopp::testing::detail
