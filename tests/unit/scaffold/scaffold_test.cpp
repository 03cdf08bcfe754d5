// The scaffolding command's logic without a project build: name checks and derivations,
// template rendering, marker insertion, the PROJECT file, and how files are written again
// (tests/package/scaffold.sh builds and runs a scaffolded project).
#include "../../../tools/scaffold/file_writer.hpp"
#include "../../../tools/scaffold/names.hpp"
#include "../../../tools/scaffold/project_file.hpp"
#include "../../../tools/scaffold/templates_api.hpp"
#include "../../../tools/scaffold/templates_conversion.hpp"
#include "../../../tools/scaffold/templates_init.hpp"
#include "../../../tools/scaffold/templates_webhook.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace kopp_scaffold;

TEST_CASE("scaffold: names Kubernetes and C++ would refuse are refused with the flag and the rule", "[scaffold]") {
  CHECK_NOTHROW(check_domain("example.com"));
  CHECK_NOTHROW(check_domain("my.domain"));
  CHECK_THROWS_WITH(check_domain("Example.com"),
                    Catch::Contains("--domain \"Example.com\"") && Catch::Contains("DNS subdomain"));
  CHECK_THROWS_AS(check_domain("example..com"), usage_error);
  CHECK_THROWS_AS(check_domain(""), usage_error);

  CHECK_NOTHROW(check_project_name("my-operator"));
  CHECK_THROWS_WITH(check_project_name("1operator"), Catch::Contains("starts with a letter"));
  CHECK_THROWS_AS(check_project_name("my_operator"), usage_error);
  CHECK_THROWS_AS(check_project_name("op-"), usage_error);

  for (const char* good : {"v1", "v1alpha1", "v2beta3", "v10"}) CHECK_NOTHROW(check_version(good));
  for (const char* bad : {"1", "v", "v0", "v1gamma1", "v1alpha", "v01", "V1", "v1beta0"})
    CHECK_THROWS_WITH(check_version(bad), Catch::Contains("--version"));

  CHECK_NOTHROW(check_kind("CronTab"));
  CHECK_THROWS_WITH(check_kind("cronTab"), Catch::Contains("UpperCamelCase"));
  CHECK_THROWS_AS(check_kind("Cron-Tab"), usage_error);
  CHECK_NOTHROW(check_group("cache"));
  CHECK_THROWS_AS(check_group("cache.example.com"), usage_error);
  CHECK_THROWS_AS(check_plural("mem-cacheds"), usage_error);
}

TEST_CASE("scaffold: identifiers and plurals derive as kubebuilder's do", "[scaffold]") {
  CHECK(identifier("my-operator") == "my_operator");
  CHECK(upper_identifier("my-operator") == "MY_OPERATOR");
  CHECK(identifier("CronTab") == "crontab");
  CHECK(default_plural("Memcached") == "memcacheds");
  CHECK(default_plural("Policy") == "policies");
  CHECK(default_plural("Gateway") == "gateways");
  CHECK(default_plural("Box") == "boxes");
  CHECK(default_plural("Status") == "statuses");
  CHECK(default_plural("Batch") == "batches");
}

TEST_CASE("scaffold: render replaces every key and refuses an unknown one", "[scaffold]") {
  CHECK(render("{{a}}-{{b}}{{a}}", {{"a", "x"}, {"b", "y"}}) == "x-yx");
  CHECK(render("no keys", {}) == "no keys");
  CHECK_THROWS_WITH(render("{{missing}}", {{"a", "x"}}), Catch::Contains("{{missing}}"));
  CHECK_THROWS_AS(render("{{open", {}), std::logic_error);
}

TEST_CASE("scaffold: a registration goes in before its marker once", "[scaffold]") {
  std::string text = "a\n  // mark\nb\n";
  CHECK(insert_before_marker(text, "// mark", "  x();\n") == Insertion::inserted);
  CHECK(text == "a\n  x();\n  // mark\nb\n");
  CHECK(insert_before_marker(text, "// mark", "  x();\n") == Insertion::already_there);
  CHECK(insert_before_marker(text, "// mark", "  y();\n") == Insertion::inserted);
  CHECK(text == "a\n  x();\n  y();\n  // mark\nb\n");
  std::string edited = "the marker is gone\n";
  CHECK(insert_before_marker(edited, "// mark", "  z();\n") == Insertion::no_marker);
  CHECK(edited == "the marker is gone\n");
}

TEST_CASE("scaffold: the PROJECT file round-trips and its errors name the field", "[scaffold]") {
  Project project;
  project.domain = "example.com";
  project.name = "my-operator";
  CHECK(format_project(project).find("resources: []") != std::string::npos);
  project.resources.push_back({"cache", "v1alpha1", "Memcached", "memcacheds", true});
  project.resources.push_back({"infra", "v1", "Cluster", "clusters", false});
  project.resources.back().validation = true;
  project.resources.back().conversion = true;
  project.resources.back().spokes = {"v1beta1", "v2"};
  project.resources.push_back({"infra", "v1beta1", "Cluster", "clusters", false});
  project.resources.back().controller = false;
  const Project again = parse_project(format_project(project));
  CHECK(again.domain == "example.com");
  CHECK(again.name == "my-operator");
  REQUIRE(again.resources.size() == 3);
  CHECK(again.resources[1].kind == "Cluster");
  CHECK(again.resources[1].controller);
  CHECK(again.resources[1].conversion);
  CHECK(again.resources[1].spokes == std::vector<std::string>{"v1beta1", "v2"});
  CHECK_FALSE(again.resources[2].controller);
  CHECK_FALSE(again.resources[0].conversion);
  CHECK(again.resources[0].spokes.empty());
  REQUIRE(again.controller_version("infra", "Cluster") != nullptr);
  CHECK(again.controller_version("infra", "Cluster")->version == "v1");
  CHECK_FALSE(again.resources[1].namespaced);
  CHECK_FALSE(again.resources[0].defaulting);
  CHECK_FALSE(again.resources[0].validation);
  CHECK_FALSE(again.resources[1].defaulting);
  CHECK(again.resources[1].validation);
  CHECK(again.find("cache", "v1alpha1", "Memcached") != nullptr);
  CHECK(again.find("cache", "v1", "Memcached") == nullptr);

  CHECK_THROWS_WITH(parse_project("layout: kubebuilder/v4\ndomain: a.b\nprojectName: x\n"),
                    Catch::Contains("layout \"kubebuilder/v4\""));
  CHECK_THROWS_WITH(parse_project("layout: kopp/v1\nprojectName: x\n"), Catch::Contains("domain is missing"));
  CHECK_THROWS_WITH(parse_project("layout: kopp/v1\ndomain: a.b\nprojectName: x\nresources:\n- group: g\n"),
                    Catch::Contains("resources[0].version"));
  CHECK_THROWS_WITH(parse_project("layout: kopp/v1\ndomain: A\nprojectName: x\n"), Catch::Contains("--domain"));
  CHECK_THROWS_WITH(parse_project("[unclosed"), Catch::Contains("not YAML"));
  const std::string kind =
      "layout: kopp/v1\ndomain: a.b\nprojectName: x\nresources:\n- group: g\n  version: v1\n"
      "  kind: K\n  plural: ks\n  namespaced: true\n";
  CHECK_THROWS_WITH(parse_project(kind + "  webhooks: [true]\n"),
                    Catch::Contains("resources[0].webhooks is not a mapping"));
  CHECK_THROWS_WITH(parse_project(kind + "  webhooks:\n    validation: yes\n"),
                    Catch::Contains("resources[0].webhooks.validation is \"yes\", not true or false"));
  CHECK_THROWS_WITH(parse_project(kind + "  controller: maybe\n"),
                    Catch::Contains("resources[0].controller is \"maybe\", not true or false"));
  CHECK_THROWS_WITH(parse_project(kind + "  webhooks:\n    conversion: true\n    spokes: v2\n"),
                    Catch::Contains("resources[0].webhooks.spokes is not a list"));
  CHECK_THROWS_WITH(parse_project(kind + "  webhooks:\n    conversion: true\n    spokes: [V2]\n"),
                    Catch::Contains("resources[0].webhooks.spokes"));
}

TEST_CASE("scaffold: every template renders with the keys the commands give", "[scaffold]") {
  // Each command gives the project's keys and the kind's; `create webhook` its pieces too. A
  // template naming another key (or holding two opening braces of C++ code) throws here.
  std::map<std::string, std::string> values = {{"name", "my-operator"},
                                               {"ident", "my_operator"},
                                               {"IDENT", "MY_OPERATOR"},
                                               {"domain", "example.com"},
                                               {"kopp_version", "0.1"},
                                               {"group", "cache"},
                                               {"fqgroup", "cache.example.com"},
                                               {"version", "v1"},
                                               {"kind", "Memcached"},
                                               {"kind_lower", "memcached"},
                                               {"plural", "memcacheds"},
                                               {"scope", "namespaced"},
                                               {"path", "/validate-x"},
                                               {"hub", "v1"},
                                               {"spoke", "v2"},
                                               {"crd_declaration", ""}};
  for (const char* piece :
       {"webhook_summary", "defaulter_declaration", "validator_declaration", "defaulter_definition",
        "validator_definition", "builder_calls", "defaulter_test", "validator_test", "e2e_checks", "manifest_checks"})
    values[piece] = "";
  namespace t = templates;
  for (const std::string_view text : {t::cmakelists,
                                      t::main_cpp,
                                      t::setup_hpp,
                                      t::setup_cpp,
                                      t::deploy_test_cpp,
                                      t::dockerfile,
                                      t::readme,
                                      t::config_default_kustomization,
                                      t::config_manager_kustomization,
                                      t::config_manager_yaml,
                                      t::kind_types_hpp,
                                      t::kind_crd_cpp,
                                      t::kind_controller_hpp,
                                      t::kind_controller_cpp,
                                      t::kind_unit_test_cpp,
                                      t::kind_e2e_test_cpp,
                                      t::kind_sample_yaml,
                                      t::register_cmake,

                                      t::webhook_hpp,
                                      t::webhook_hpp_defaulter,
                                      t::webhook_hpp_validator,
                                      t::webhook_cpp,
                                      t::webhook_cpp_defaulter,
                                      t::webhook_cpp_validator,
                                      t::webhook_builder_defaulter,
                                      t::webhook_builder_validator,
                                      t::webhook_manifest_check,
                                      t::webhook_unit_test_cpp,
                                      t::webhook_unit_test_defaulter,
                                      t::webhook_unit_test_validator,
                                      t::webhook_e2e_test_cpp,
                                      t::webhook_e2e_defaulter,
                                      t::webhook_e2e_validator,
                                      t::config_webhook_service,
                                      t::register_webhooks_cmake,
                                      t::register_kind_webhook_cmake,
                                      t::register_webhook_include,
                                      t::register_webhook_server,
                                      t::register_webhook_declaration,
                                      t::webhook_config_test_cpp,

                                      t::kind_crd_declaration,
                                      t::register_version_include,
                                      t::register_version,
                                      t::conversion_kind_hpp,
                                      t::conversion_kind_cpp,
                                      t::register_crd_conversion,
                                      t::register_conversion_cmake,
                                      t::register_conversion_include,
                                      t::register_conversion_server,
                                      t::register_default_crd_replacements,
                                      t::conversion_config_test_cpp,
                                      t::conversion_spoke_hpp,
                                      t::conversion_spoke_cpp,
                                      t::register_spoke_include,
                                      t::register_spoke,
                                      t::register_spoke_cmake,
                                      t::conversion_unit_test_cpp,
                                      t::conversion_e2e_test_cpp}) {
    INFO(text.substr(0, 80));
    CHECK_NOTHROW(render(text, values));
  }
}

TEST_CASE("scaffold: writing again keeps an edited file unless forced, and says so", "[scaffold]") {
  const auto root = std::filesystem::temp_directory_path() /
                    ("kopp-scaffold-test-" + std::to_string(std::random_device()() % 1000000));
  std::filesystem::remove_all(root);
  {
    FileWriter first(root, false);
    first.write("src/a.cpp", "one\n");
    first.write("run.sh", "#!/bin/sh\n", true);
    CHECK(first.lines() == std::vector<std::string>{"created    src/a.cpp", "created    run.sh"});
    CHECK((std::filesystem::status(root / "run.sh").permissions() & std::filesystem::perms::owner_exec) !=
          std::filesystem::perms::none);
  }
  {
    FileWriter again(root, false);
    again.write("src/a.cpp", "one\n");
    CHECK(again.lines().back() == "unchanged  src/a.cpp");
    std::ofstream(root / "src/a.cpp") << "edited\n";
    again.write("src/a.cpp", "one\n");
    CHECK(again.lines().back().starts_with("kept       src/a.cpp"));
    CHECK(again.kept() == 1);
    CHECK(FileWriter::read(root / "src/a.cpp") == "edited\n");
  }
  {
    FileWriter forced(root, true);
    forced.write("src/a.cpp", "one\n");
    CHECK(forced.lines().back() == "overwrote  src/a.cpp");
    CHECK(FileWriter::read(root / "src/a.cpp") == "one\n");
    std::ofstream(root / "CMakeLists.txt") << "project(x)\n# mark\n";
    forced.register_at("CMakeLists.txt", "# mark", "add(y)\n");
    forced.register_at("CMakeLists.txt", "# mark", "add(y)\n");
    CHECK(FileWriter::read(root / "CMakeLists.txt") == "project(x)\nadd(y)\n# mark\n");
    CHECK(forced.lines().back() == "unchanged  CMakeLists.txt");
    std::ofstream(root / "CMakeLists.txt") << "no marker\n";
    forced.register_at("CMakeLists.txt", "# mark", "add(z)\n");
    CHECK_THAT(forced.lines().back(), Catch::Contains("add this yourself") && Catch::Contains("add(z)"));
    CHECK_THROWS_AS(forced.register_at("missing.txt", "# mark", "x\n"), usage_error);
  }
  {
    // `kopp init` again on its project: only missing files are written, whatever the others hold.
    FileWriter init_again(root, false);
    init_again.write_if_missing("CMakeLists.txt", "project(x)\n");
    init_again.write_if_missing("Dockerfile", "FROM x\n");
    CHECK(init_again.lines() == std::vector<std::string>{"exists     CMakeLists.txt", "created    Dockerfile"});
    CHECK(FileWriter::read(root / "CMakeLists.txt") == "no marker\n");
    init_again.update("PROJECT", "layout: kopp/v1\n");
    init_again.update("PROJECT", "layout: kopp/v1\n");
    CHECK(init_again.lines().back() == "unchanged  PROJECT");
  }
  std::filesystem::remove_all(root);
}
