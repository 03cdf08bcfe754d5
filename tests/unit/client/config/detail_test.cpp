// The private helpers behind config loading: base64, PEM checks, the subprocess runner.

#include "config_test_support.hpp"

#include <kopp/client/detail/pem.hpp>
#include <kopp/client/detail/subprocess.hpp>

using Catch::Matchers::Contains;
using namespace kopp_test;
using namespace std::chrono_literals;

TEST_CASE("base64 round trip and rejection of invalid input", "[config][detail]") {
  using kopp::detail::base64_decode;
  using kopp::detail::base64_encode;
  for (const std::string text : {"", "a", "ab", "abc", "abcd", "\x00\xff binary\n"})
    CHECK(base64_decode(base64_encode(text)) == text);
  CHECK(base64_decode("aGVs\nbG8=\n") == "hello");  // line breaks tolerated
  CHECK_FALSE(base64_decode("aGVsbG8"));            // missing padding
  CHECK_FALSE(base64_decode("aGV*bG8="));
  CHECK_FALSE(base64_decode("aG=sbG8="));
}

TEST_CASE("PEM checks", "[config][detail]") {
  using namespace kopp::detail;
  const auto ca = read_text(fixture("pki/ca.crt"));
  const auto cert = read_text(fixture("pki/client.crt"));
  const auto key = read_text(fixture("pki/client.key"));
  CHECK_FALSE(check_certificate_pem(ca));
  CHECK_FALSE(check_certificate_pem(ca + cert));  // a bundle
  CHECK(check_certificate_pem("").value() == "no PEM data found (expected '-----BEGIN CERTIFICATE-----')");
  CHECK(check_certificate_pem(key).has_value());
  CHECK_THAT(check_certificate_pem(ca + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").value(),
             Contains("invalid PEM certificate #2"));
  CHECK_FALSE(check_private_key_pem(key));
  CHECK(check_private_key_pem(cert).has_value());
  CHECK_FALSE(check_certificate_matches_key(cert, key));
  CHECK(check_certificate_matches_key(cert, read_text(fixture("pki/other.key"))).has_value());
}

TEST_CASE("run_subprocess collects output and exit status; missing programs throw", "[config][detail]") {
  using kopp::detail::run_subprocess;
  auto env = kopp::detail::current_environment();
  kopp::detail::set_environment_variable(env, "KOPP_X", "42");
  const auto result = run_subprocess({"bash", "-c", "echo out:$KOPP_X; echo err >&2; exit 7"}, env, 10s);
  CHECK(result.out == "out:42\n");
  CHECK(result.err == "err\n");
  CHECK(result.exit_code == 7);
  CHECK_FALSE(result.timed_out);

  const auto big = run_subprocess({"bash", "-c", "head -c 100000 /dev/zero"}, env, 10s, 1000);
  CHECK(big.out.size() == 1000);
  CHECK(big.output_truncated);

  try {
    run_subprocess({"kopp-no-such-program-anywhere"}, env, 1s);
    FAIL("expected std::system_error");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
  }
}
