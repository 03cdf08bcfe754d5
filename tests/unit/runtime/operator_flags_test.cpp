#include <kopp/runtime/manager/operator_flags.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

// argv as main() receives it: the program name first.
struct Argv {
  explicit Argv(std::vector<std::string> args) : storage(std::move(args)) {
    storage.insert(storage.begin(), "test-operator");
    for (const auto& s : storage) pointers.push_back(s.c_str());
  }
  int argc() const { return static_cast<int>(pointers.size()); }
  const char* const* argv() const { return pointers.data(); }
  std::vector<std::string> storage;
  std::vector<const char*> pointers;
};

bool parse(kopp::OperatorFlags& flags, std::vector<std::string> args) {
  Argv a(std::move(args));
  return flags.parse_or_throw(a.argc(), a.argv());
}

std::string error_of(std::vector<std::string> args) {
  kopp::OperatorFlags flags("test-operator", "Tests.");
  try {
    parse(flags, std::move(args));
  } catch (const kopp::flag_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("operator flags: defaults match kubebuilder's scaffolded main") {
  kopp::OperatorFlags flags("test-operator", "Tests.");
  REQUIRE(parse(flags, {}));
  CHECK_FALSE(flags.kubeconfig);
  CHECK(flags.namespace_.empty());
  CHECK_FALSE(flags.leader_elect);
  CHECK(flags.leader_election_id == "test-operator");
  CHECK(flags.metrics_bind_address == ":8080");
  CHECK(flags.health_probe_bind_address == ":8081");
  CHECK_FALSE(flags.metrics_secure);
  CHECK(flags.webhook_bind_address == ":9443");
  CHECK(flags.webhook_cert_dir.empty());
  CHECK(flags.log_format == kopp::LogFormat::text);
  CHECK(flags.log_level == kopp::LogLevel::info);
}

TEST_CASE("operator flags: both value syntaxes, bare booleans, one or two dashes") {
  kopp::OperatorFlags flags("test-operator", "Tests.");
  REQUIRE(parse(flags, {"--kubeconfig=/tmp/kc", "--namespace", "team-a", "--leader-elect", "-log-format=json",
                        "--log-level", "debug", "--metrics-bind-address=0", "--health-probe-bind-address",
                        "127.0.0.1:9000", "--leader-election-id=my-lock"}));
  CHECK(flags.kubeconfig == "/tmp/kc");
  CHECK(flags.namespace_ == "team-a");
  CHECK(flags.leader_elect);
  CHECK(flags.log_format == kopp::LogFormat::json);
  CHECK(flags.log_level == kopp::LogLevel::debug);
  CHECK(flags.metrics_bind_address == "0");
  CHECK(flags.health_probe_bind_address == "127.0.0.1:9000");

  const auto options = flags.manager_options();
  CHECK(options.namespace_ == "team-a");
  CHECK(options.leader_election);
  CHECK(options.leader_election_id == "my-lock");
  CHECK(options.metrics_bind_address == "0");
  CHECK(options.health_probe_bind_address == "127.0.0.1:9000");
  kopp::LogSink::global().set_format(kopp::LogFormat::text);
  kopp::LogSink::global().set_level(kopp::LogLevel::info);
}

TEST_CASE("operator flags: secure metrics and the webhook server") {
  kopp::OperatorFlags flags("test-operator", "Tests.");
  REQUIRE(parse(flags, {"--metrics-secure", "--metrics-bind-address=:8443", "--metrics-cert-dir=/certs/metrics",
                        "--webhook-bind-address", "127.0.0.1:9444", "--webhook-cert-dir", "/certs/webhook",
                        "--webhook-configuration-name=dev-webhooks"}));
  const auto options = flags.manager_options();
  CHECK(options.metrics_secure);
  CHECK(options.metrics_bind_address == ":8443");
  CHECK(options.metrics_cert_dir == "/certs/metrics");
  CHECK(options.webhook_bind_address == "127.0.0.1:9444");
  CHECK(options.webhook_cert_dir == "/certs/webhook");
  CHECK(options.webhook_configuration_name == "dev-webhooks");
  CHECK(error_of({"--metrics-secure=yes please"}) ==
        "--metrics-secure: invalid value \"yes please\" (expected true or false)");
  CHECK(error_of({"--webhook-bind-address=9443"}).starts_with("--webhook-bind-address: bind address '9443'"));
  kopp::LogSink::global().set_format(kopp::LogFormat::text);
  kopp::LogSink::global().set_level(kopp::LogLevel::info);
}

TEST_CASE("operator flags: --leader-elect=false after --leader-elect turns it off") {
  kopp::OperatorFlags flags("test-operator", "Tests.");
  REQUIRE(parse(flags, {"--leader-elect", "--leader-elect=false"}));
  CHECK_FALSE(flags.leader_elect);
}

TEST_CASE("operator flags: --help stops parsing and the usage lists every flag") {
  kopp::OperatorFlags flags("test-operator", "Runs tests.");
  CHECK_FALSE(parse(flags, {"--namespace=x", "--help"}));
  const auto usage = flags.usage();
  CHECK(usage.find("Usage: test-operator") != std::string::npos);
  CHECK(usage.find("Runs tests.") != std::string::npos);
  for (const char* name : {"--kubeconfig", "--context", "--namespace", "--leader-elect", "--leader-election-id",
                           "--leader-election-namespace", "--metrics-bind-address", "--health-probe-bind-address",
                           "--metrics-secure", "--metrics-cert-dir", "--webhook-bind-address", "--webhook-cert-dir",
                           "--webhook-configuration-name", "--log-format", "--log-level", "--help"})
    CHECK(usage.find(name) != std::string::npos);
}

TEST_CASE("operator flags: errors name the flag and the value") {
  CHECK(error_of({"--bogus"}) == "unknown flag --bogus");
  CHECK(error_of({"--namespace"}) == "flag --namespace needs a value");
  CHECK(error_of({"--log-level=loud"}) == "--log-level: invalid value \"loud\" (expected debug, info, warn or error)");
  CHECK(error_of({"--log-format", "xml"}) == "--log-format: invalid value \"xml\" (expected text or json)");
  CHECK(error_of({"--leader-elect=maybe"}) == "--leader-elect: invalid value \"maybe\" (expected true or false)");
  CHECK(error_of({"--metrics-bind-address=8080"}).starts_with("--metrics-bind-address: bind address '8080'"));
  CHECK(error_of({"stray"}) == "unexpected argument \"stray\" (flags start with --)");
}

TEST_CASE("operator flags: program-specific flags keep their defaults and parse their types") {
  kopp::OperatorFlags flags("test-operator", "Tests.");
  std::string inventory = "default";
  std::int64_t workers = 2;
  bool dry_run = false;
  flags.add_string("operator-namespace", inventory, "Where the inventory lives.")
      .add_int("workers", workers, "Concurrent reconciles.")
      .add_bool("dry-run", dry_run, "Change nothing.");
  CHECK(flags.usage().find("(default \"default\")") != std::string::npos);
  REQUIRE(parse(flags, {"--workers=8", "--dry-run"}));
  CHECK(inventory == "default");
  CHECK(workers == 8);
  CHECK(dry_run);

  kopp::OperatorFlags bad("test-operator", "Tests.");
  bad.add_int("workers", workers, "Concurrent reconciles.");
  CHECK_THROWS_WITH(parse(bad, {"--workers=eight"}), "--workers: invalid value \"eight\" (expected an integer)");
}
