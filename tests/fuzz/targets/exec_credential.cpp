// The output of an exec credential plugin (ExecCredential JSON): parsing never crashes and
// fails only with config_error, whose message is one bounded line that quotes nothing of
// the output (which holds the token or key).
// The first byte picks the apiVersion the kubeconfig asked for.
#include "../fuzz_check.hpp"

#include <kopp/client/exec_credential.hpp>

#include <algorithm>

namespace {

// Seeds and the dictionary carry this marker in tokens and keys. kopp's messages quote
// nothing of the output, so the marker can only reach a message by a leak. (A property
// like "the message does not contain the token" is defeated by libFuzzer itself: it
// learns the message text from the comparison and makes the token a piece of it.)
constexpr std::string_view secret_marker = "kopp-fuzz-secret";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view api_version = data[0] & 1 ? kopp::exec_detail::api_v1 : kopp::exec_detail::api_v1beta1;
  const std::string_view output = kopp_fuzz::as_text(data + 1, size - 1);
  try {
    const kopp::Credential credential = kopp::exec_detail::parse_exec_credential(output, api_version);
    KOPP_FUZZ_CHECK(credential.bearer_token || !credential.client_cert_pem.empty());
  } catch (const kopp::config_error& e) {
    const std::string_view message = e.what();
    KOPP_FUZZ_CHECK(message.size() <= 1024);
    KOPP_FUZZ_CHECK(
        std::none_of(message.begin(), message.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
    KOPP_FUZZ_CHECK(message.find(secret_marker) == std::string_view::npos);
  }
  return 0;
}
