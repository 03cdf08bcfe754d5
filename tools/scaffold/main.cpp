// kopp: scaffolds operator projects, as kubebuilder does for Go.
//
//   kopp init [--domain example.com] [--name my-operator] [--force] [DIR]
//   kopp create api --group cache --version v1alpha1 --kind Memcached
//                   [--plural memcacheds] [--cluster-scoped] [--force] [--project-dir DIR]
//   kopp create webhook --group cache --version v1alpha1 --kind Memcached
//                       [--defaulting] [--validation] [--conversion --spoke v1beta1[,...]]
//                       [--force] [--project-dir DIR]
//   kopp version
//
// Every command says what it wrote. Re-running one is safe: a file that is already what it
// would write is left alone, an edited one is kept (and listed) unless --force, and a kind's
// registrations are added once. Exit codes: 0 done, 1 a file error, 2 a bad command line.

#include "file_writer.hpp"
#include "names.hpp"
#include "project_file.hpp"
#include "templates_api.hpp"
#include "templates_conversion.hpp"
#include "templates_init.hpp"
#include "templates_webhook.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifndef KOPP_SCAFFOLD_VERSION
#error "KOPP_SCAFFOLD_VERSION (kopp's major.minor version) must be defined by the build"
#endif

namespace kopp_scaffold {
namespace {

constexpr std::string_view usage = R"(kopp: scaffolds Kubernetes operator projects in C++ on kopp.

  kopp init [--domain DOMAIN] [--name NAME] [--force] [DIR]
      A new project in DIR (default: the current directory): CMakeLists.txt against an
      installed kopp, src/main.cpp on OperatorFlags and the Manager, config/ in kubebuilder's
      kustomize layout, a Dockerfile, a README with the project's two commands, tests/.
      --domain  the API groups' suffix (default: my.domain)
      --name    the operator's name (default: DIR's name)

  kopp create api --group GROUP --version VERSION --kind KIND [--plural PLURAL]
                  [--cluster-scoped] [--force] [--project-dir DIR]
      A kind: its C++ types and CRD, a controller to fill in, its registration, a sample,
      RBAC rules, a unit test on kopp's fake cluster and an end-to-end test.
      For a kind the project has in another version: that version's types, served by the
      same CRD (the first version stays stored and reconciled) and a sample.

  kopp create webhook --group GROUP --version VERSION --kind KIND [--defaulting]
                      [--validation] [--conversion --spoke VERSION[,VERSION...]]
                      [--force] [--project-dir DIR]
      Webhooks for a kind `create api` added: a defaulter and/or a validator to fill in;
      with --conversion, the conversions between VERSION (the hub: the version stored and
      reconciled) and each spoke version, the CRD's conversion through the webhook. Also
      their registration, config/webhook (generated configurations, Service),
      config/certmanager (the serving certificate) wired into config/default, unit tests
      and end-to-end tests on which the API server calls them.

  kopp version
      Prints the kopp version this command scaffolds for.

Re-running a command keeps files you edited (it lists them) unless --force.
)";

/// A parsed command line: the words that are not flags, and the flags (--name value,
/// --name=value, or a bare --switch mapped to "true").
struct Arguments {
  std::vector<std::string> words;
  std::map<std::string, std::string> flags;
};

Arguments parse_arguments(int argc, char** argv, const std::vector<std::string>& switches) {
  Arguments out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!arg.starts_with("--")) {
      out.words.push_back(std::move(arg));
      continue;
    }
    std::string name = arg.substr(2), value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
      value = "true";
    } else {
      if (i + 1 >= argc) throw usage_error("--" + name + " needs a value");
      value = argv[++i];
    }
    out.flags[name] = value;
  }
  return out;
}

std::string take(Arguments& args, const std::string& name, std::optional<std::string> fallback = std::nullopt) {
  const auto found = args.flags.find(name);
  if (found == args.flags.end()) {
    if (!fallback) throw usage_error("--" + name + " is required");
    return *fallback;
  }
  std::string value = found->second;
  args.flags.erase(found);
  return value;
}

void refuse_unknown(const Arguments& args) {
  if (!args.flags.empty()) throw usage_error("unknown flag --" + args.flags.begin()->first);
}

/// `path` absolute and normal, without a trailing separator ("." gives the directory's name).
std::filesystem::path absolute_directory(const std::string& path) {
  std::filesystem::path out = std::filesystem::absolute(path).lexically_normal();
  if (!out.has_filename() && out.has_parent_path()) out = out.parent_path();
  return out;
}

std::map<std::string, std::string> project_values(const Project& project) {
  return {{"name", project.name},
          {"ident", identifier(project.name)},
          {"IDENT", upper_identifier(project.name)},
          {"domain", project.domain},
          {"kopp_version", KOPP_SCAFFOLD_VERSION}};
}

void print_report(const FileWriter& writer) {
  for (const auto& line : writer.lines()) std::cout << "  " << line << "\n";
}

int run_init(Arguments args) {
  const bool force = take(args, "force", "false") == "true";
  const std::string domain = take(args, "domain", "my.domain");
  if (args.words.size() > 2) throw usage_error("init takes one directory, got " + args.words.back());
  const std::filesystem::path dir = absolute_directory(args.words.size() == 2 ? args.words[1] : ".");
  const bool named = args.flags.count("name") != 0;
  const std::string name = take(args, "name", dir.filename().string());
  refuse_unknown(args);
  check_domain(domain);
  try {
    check_project_name(name);
  } catch (const usage_error& e) {
    if (named) throw;
    throw usage_error(std::string(e.what()) + " (the directory's name; pass --name to choose another)");
  }
  if (std::filesystem::exists(dir / "PROJECT") && !force) {
    const Project existing = parse_project(FileWriter::read(dir / "PROJECT"));
    if (existing.name != name || existing.domain != domain)
      throw usage_error(dir.string() + " already holds project " + existing.name + " (domain " + existing.domain +
                        "): --force to scaffold over it");
  }

  Project project;
  project.domain = domain;
  project.name = name;
  const bool again = std::filesystem::exists(dir / "PROJECT");
  if (again) project.resources = parse_project(FileWriter::read(dir / "PROJECT")).resources;
  const auto values = project_values(project);
  const std::string ident = identifier(name);
  namespace t = templates;
  // Again on its own project, init only restores missing files: the others hold the kinds'
  // registrations. --force writes them all anew (and drops those registrations).
  class InitWriter : public FileWriter {
   public:
    InitWriter(std::filesystem::path root, bool force, bool again)
        : FileWriter(std::move(root), force), only_missing_(again && !force) {}
    void put(const std::filesystem::path& relative, const std::string& content) {
      if (only_missing_)
        write_if_missing(relative, content);
      else
        write(relative, content);
    }

   private:
    bool only_missing_;
  } writer(dir, force, again);
  std::cout << "kopp init: " << name << " (domain " << domain << ") in " << dir.string()
            << (again && !force ? " (a kopp project already: restoring missing files only)" : "") << "\n";
  writer.update("PROJECT", format_project(project));
  writer.put("CMakeLists.txt", render(t::cmakelists, values));
  writer.put("README.md", render(t::readme, values));
  writer.put(".gitignore", std::string(t::gitignore));
  writer.put(".dockerignore", std::string(t::dockerignore));
  writer.put("Dockerfile", render(t::dockerfile, values));
  writer.put("src/main.cpp", render(t::main_cpp, values));
  writer.put("include/" + ident + "/setup.hpp", render(t::setup_hpp, values));
  writer.put("src/setup.cpp", render(t::setup_cpp, values));
  writer.put("tests/main.cpp", std::string(t::tests_main_cpp));
  writer.put("tests/e2e/deploy_test.cpp", render(t::deploy_test_cpp, values));
  writer.put("config/default/kustomization.yaml", render(t::config_default_kustomization, values));
  writer.put("config/manager/kustomization.yaml", render(t::config_manager_kustomization, values));
  writer.put("config/manager/manager.yaml", render(t::config_manager_yaml, values));
  writer.put("config/rbac/kustomization.yaml", std::string(t::config_rbac_kustomization));
  writer.put("config/rbac/service_account.yaml", std::string(t::config_rbac_service_account));
  writer.put("config/rbac/role_binding.yaml", std::string(t::config_rbac_role_binding));
  writer.put("config/rbac/leader_election_role_binding.yaml", std::string(t::config_rbac_leader_election_role_binding));
  writer.put("config/crd/kustomization.yaml", std::string(t::config_crd_kustomization));
  writer.put("config/samples/kustomization.yaml", std::string(t::config_samples_kustomization));
  print_report(writer);
  std::cout << "Next: kopp create api --group <group> --version <version> --kind <Kind>"
            << (args.words.size() == 2 ? " --project-dir " + args.words[1] : std::string()) << "\n";
  return 0;
}

/// The values of a kind's templates: the project's, and the kind's.
std::map<std::string, std::string> kind_values(const Project& project, const ProjectResource& resource) {
  auto values = project_values(project);
  values["group"] = resource.group;
  values["fqgroup"] = resource.group + "." + project.domain;
  values["version"] = resource.version;
  values["kind"] = resource.kind;
  values["kind_lower"] = identifier(resource.kind);
  values["plural"] = resource.plural;
  values["scope"] = resource.namespaced ? "namespaced" : "cluster";
  const ProjectResource* hub = project.controller_version(resource.group, resource.kind);
  values["hub"] = hub ? hub->version : resource.version;
  values["crd_declaration"] = resource.controller ? render(templates::kind_crd_declaration, values) : std::string();
  return values;
}

/// The path kopp's webhook server serves a kind's webhook of `type` ("mutate", "validate")
/// at: controller-runtime's convention (/validate-cache-example-com-v1alpha1-memcached).
std::string webhook_path(std::string_view type, const std::string& fqgroup, const std::string& version,
                         const std::string& kind) {
  std::string out = "/" + std::string(type) + "-";
  for (char c : fqgroup) out += c == '.' ? '-' : c;
  out += "-" + version + "-";
  for (char c : kind) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The PROJECT file of the project in `dir`, for the commands that add to one.
Project read_project(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir / "PROJECT"))
    throw usage_error("no PROJECT file in " + dir.string() + ": run `kopp init` there first, or pass --project-dir");
  return parse_project(FileWriter::read(dir / "PROJECT"));
}

/// `kopp create api` for `version` of a kind the project has in `first`'s version: the
/// version's types, one more version in the CRD `first`'s source builds (first stays the
/// stored version, reconciled by its controller), a sample. Until the versions' fields
/// differ, the API server converts between them by itself (conversion strategy None).
int create_version(Project& project, ProjectResource first, const std::string& version,
                   const std::filesystem::path& dir, bool force) {
  // `first` is a copy: adding the version to project.resources may move the original.
  const std::string hub_version = first.version;
  if (!project.find(first.group, version, first.kind)) {
    ProjectResource resource = first;
    resource.version = version;
    resource.controller = false;
    resource.defaulting = resource.validation = resource.conversion = false;
    resource.spokes.clear();
    project.resources.push_back(resource);
  }
  auto values = kind_values(project, *project.find(first.group, version, first.kind));
  const std::string ident = values["ident"], kind_lower = values["kind_lower"];
  const std::string hub_crd_source = "src/api/" + hub_version + "/" + kind_lower + "_crd.cpp";

  namespace t = templates;
  FileWriter writer(dir, force);
  std::cout << "kopp create api: " << first.kind << " (" << values["fqgroup"] << "/" << version << "), a version of "
            << first.kind << " beside " << hub_version << ", in " << dir.string() << "\n";
  writer.write("include/" + ident + "/api/" + version + "/" + kind_lower + ".hpp", render(t::kind_types_hpp, values));
  writer.write("config/samples/" + first.group + "_" + version + "_" + kind_lower + ".yaml",
               render(t::kind_sample_yaml, values));
  writer.register_at(hub_crd_source, "// kopp:scaffold:" + kind_lower + "-version-includes",
                     render(t::register_version_include, values));
  writer.register_at(hub_crd_source, "// kopp:scaffold:" + kind_lower + "-versions",
                     render(t::register_version, values));
  writer.register_at("config/samples/kustomization.yaml", "# kopp:scaffold:manifestskustomizesamples",
                     render(t::register_sample, values));
  writer.update("PROJECT", format_project(project));
  print_report(writer);
  std::cout << "Next: the CRD serves " << first.kind << " in " << version << " too; " << hub_version
            << " stays the version stored and reconciled. While both have the same fields the API server converts "
            << "between them by itself. Once you change " << version << "'s fields in include/" << ident << "/api/"
            << version << "/" << kind_lower << ".hpp: kopp create webhook --group " << first.group << " --version "
            << hub_version << " --kind " << first.kind << " --conversion --spoke " << version << "\n";
  return 0;
}

int run_create_api(Arguments args) {
  const bool plural_given = args.flags.count("plural") > 0, scope_given = args.flags.count("cluster-scoped") > 0;
  const bool force = take(args, "force", "false") == "true";
  const bool cluster_scoped = take(args, "cluster-scoped", "false") == "true";
  const std::string group = take(args, "group");
  const std::string version = take(args, "version");
  const std::string kind = take(args, "kind");
  const std::filesystem::path dir = absolute_directory(take(args, "project-dir", "."));
  check_group(group);
  check_version(version);
  check_kind(kind);
  const std::string plural = take(args, "plural", default_plural(kind));
  check_plural(plural);
  refuse_unknown(args);
  if (args.words.size() != 2) throw usage_error("create api takes no directory argument: use --project-dir");

  Project project = read_project(dir);
  // A kind the project has in another version gets one more version of its CRD.
  const ProjectResource* first = project.controller_version(group, kind);
  if (first && first->version != version) {
    if ((plural_given && plural != first->plural) || (scope_given && first->namespaced))
      throw usage_error(kind + " is " + (first->namespaced ? "namespaced" : "cluster-scoped") + " with plural " +
                        first->plural + " in " + first->version + ": every version of a kind has the same");
    return create_version(project, *first, version, dir, force);
  }
  if (!project.find(group, version, kind)) {
    ProjectResource resource;
    resource.group = group;
    resource.version = version;
    resource.kind = kind;
    resource.plural = plural;
    resource.namespaced = !cluster_scoped;
    project.resources.push_back(resource);
  }
  auto values = kind_values(project, *project.find(group, version, kind));
  const std::string ident = values["ident"], kind_lower = values["kind_lower"];

  namespace t = templates;
  FileWriter writer(dir, force);
  std::cout << "kopp create api: " << kind << " (" << values["fqgroup"] << "/" << version << ", "
            << (cluster_scoped ? "cluster-scoped" : "namespaced") << ") in " << dir.string() << "\n";
  writer.write("include/" + ident + "/api/" + version + "/" + kind_lower + ".hpp", render(t::kind_types_hpp, values));
  // Later versions and the conversion register into it: never rewritten.
  writer.write_if_missing("src/api/" + version + "/" + kind_lower + "_crd.cpp", render(t::kind_crd_cpp, values));
  writer.write("include/" + ident + "/" + kind_lower + "_controller.hpp", render(t::kind_controller_hpp, values));
  writer.write("src/" + kind_lower + "_controller.cpp", render(t::kind_controller_cpp, values));
  writer.write("tests/" + kind_lower + "_controller_test.cpp", render(t::kind_unit_test_cpp, values));
  writer.write("tests/e2e/" + kind_lower + "_e2e_test.cpp", render(t::kind_e2e_test_cpp, values));
  writer.write("config/samples/" + group + "_" + version + "_" + kind_lower + ".yaml",
               render(t::kind_sample_yaml, values));
  writer.register_at("CMakeLists.txt", "# kopp:scaffold:kinds", render(t::register_cmake, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:includes", render(t::register_include, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:controllers", render(t::register_controller, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:crds", render(t::register_crd, values));
  writer.register_at("config/crd/kustomization.yaml", "# kopp:scaffold:crdkustomizeresource",
                     render(t::register_crd_resource, values));
  writer.register_at("config/samples/kustomization.yaml", "# kopp:scaffold:manifestskustomizesamples",
                     render(t::register_sample, values));
  // PROJECT last: a command that failed above leaves it without the kind, so a re-run redoes it.
  writer.update("PROJECT", format_project(project));
  print_report(writer);
  std::cout << "Next: fill in include/" << ident << "/api/" << version << "/" << kind_lower << ".hpp and src/"
            << kind_lower << "_controller.cpp, then build: the CRD is written to config/crd/bases/\n";
  return 0;
}

/// The versions in a comma-separated --spoke value.
std::vector<std::string> split_versions(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

/// The admission webhooks' files and registrations for `resource` (rendered for all the
/// webhooks it has, so that a second run adds to the first).
void write_admission_webhooks(FileWriter& writer, std::map<std::string, std::string> values,
                              const ProjectResource& resource) {
  namespace t = templates;
  const auto piece = [&](bool wanted, std::string_view text) { return wanted ? render(text, values) : std::string(); };
  values["webhook_summary"] =
      resource.defaulting && resource.validation
          ? "The defaulter fills in what a user left out, then the validator refuses what breaks a rule."
      : resource.defaulting ? "The defaulter fills in what a user left out."
                            : "The validator refuses what breaks a rule.";
  values["defaulter_declaration"] = piece(resource.defaulting, t::webhook_hpp_defaulter);
  values["validator_declaration"] = piece(resource.validation, t::webhook_hpp_validator);
  values["defaulter_definition"] = piece(resource.defaulting, t::webhook_cpp_defaulter);
  values["validator_definition"] = piece(resource.validation, t::webhook_cpp_validator);
  values["builder_calls"] = piece(resource.defaulting, t::webhook_builder_defaulter) +
                            piece(resource.validation, t::webhook_builder_validator);
  values["defaulter_test"] = piece(resource.defaulting, t::webhook_unit_test_defaulter);
  values["validator_test"] = piece(resource.validation, t::webhook_unit_test_validator);
  values["e2e_checks"] =
      piece(resource.defaulting, t::webhook_e2e_defaulter) + piece(resource.validation, t::webhook_e2e_validator);
  std::string manifest_checks;
  for (const auto& [wanted, type] :
       {std::pair{resource.defaulting, "mutate"}, std::pair{resource.validation, "validate"}})
    if (wanted)
      manifest_checks += render(t::webhook_manifest_check,
                                {{"path", webhook_path(type, values["fqgroup"], resource.version, resource.kind)}});
  values["manifest_checks"] = manifest_checks;
  const std::string ident = values["ident"], kind_lower = values["kind_lower"];
  writer.write("include/" + ident + "/" + kind_lower + "_webhook.hpp", render(t::webhook_hpp, values));
  writer.write("src/" + kind_lower + "_webhook.cpp", render(t::webhook_cpp, values));
  writer.write("tests/" + kind_lower + "_webhook_test.cpp", render(t::webhook_unit_test_cpp, values));
  writer.write("tests/e2e/" + kind_lower + "_webhook_e2e_test.cpp", render(t::webhook_e2e_test_cpp, values));
  writer.register_at("CMakeLists.txt", "# kopp:scaffold:kinds", render(t::register_kind_webhook_cmake, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:includes", render(t::register_webhook_include, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:webhooks", render(t::register_webhook_server, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:webhook-declarations",
                     render(t::register_webhook_declaration, values));
}

/// The conversion webhook of `hub`'s kind: once per kind, the function that declares the
/// spokes, its registration, the CRD's conversion and config/default's names for it; per
/// spoke, its two conversions, a unit test and an end-to-end test.
void write_conversion_webhook(FileWriter& writer, std::map<std::string, std::string> values,
                              const ProjectResource& hub) {
  namespace t = templates;
  const std::string ident = values["ident"], kind_lower = values["kind_lower"];
  const std::string kind_source = "src/" + kind_lower + "_conversion.cpp";
  writer.write_if_missing("include/" + ident + "/" + kind_lower + "_conversion.hpp",
                          render(t::conversion_kind_hpp, values));
  writer.write_if_missing(kind_source, render(t::conversion_kind_cpp, values));
  writer.write("tests/e2e/" + kind_lower + "_conversion_config_test.cpp",
               render(t::conversion_config_test_cpp, values));
  writer.register_at("CMakeLists.txt", "# kopp:scaffold:kinds", render(t::register_conversion_cmake, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:includes", render(t::register_conversion_include, values));
  writer.register_at("src/setup.cpp", "// kopp:scaffold:webhooks", render(t::register_conversion_server, values));
  writer.register_at("src/api/" + hub.version + "/" + kind_lower + "_crd.cpp",
                     "// kopp:scaffold:" + kind_lower + "-conversion", render(t::register_crd_conversion, values));
  // After the replacements of the webhooks' names (register_default_webhook ends with them).
  writer.register_at("config/default/kustomization.yaml", "# kopp:scaffold:default-webhook",
                     render(t::register_default_crd_replacements, values));
  for (const auto& spoke : hub.spokes) {
    values["spoke"] = spoke;
    writer.write("include/" + ident + "/api/" + spoke + "/" + kind_lower + "_conversion.hpp",
                 render(t::conversion_spoke_hpp, values));
    writer.write("src/api/" + spoke + "/" + kind_lower + "_conversion.cpp", render(t::conversion_spoke_cpp, values));
    writer.write("tests/" + kind_lower + "_" + spoke + "_conversion_test.cpp",
                 render(t::conversion_unit_test_cpp, values));
    writer.write("tests/e2e/" + kind_lower + "_" + spoke + "_conversion_e2e_test.cpp",
                 render(t::conversion_e2e_test_cpp, values));
    writer.register_at("CMakeLists.txt", "# kopp:scaffold:kinds", render(t::register_spoke_cmake, values));
    writer.register_at(kind_source, "// kopp:scaffold:" + kind_lower + "-spoke-includes",
                       render(t::register_spoke_include, values));
    writer.register_at(kind_source, "// kopp:scaffold:" + kind_lower + "-spokes", render(t::register_spoke, values));
  }
}

int run_create_webhook(Arguments args) {
  const bool force = take(args, "force", "false") == "true";
  const bool defaulting = take(args, "defaulting", "false") == "true";
  const bool validation = take(args, "validation", "false") == "true";
  const bool conversion = take(args, "conversion", "false") == "true";
  const std::vector<std::string> spokes = split_versions(take(args, "spoke", ""));
  const std::string group = take(args, "group");
  const std::string version = take(args, "version");
  const std::string kind = take(args, "kind");
  const std::filesystem::path dir = absolute_directory(take(args, "project-dir", "."));
  refuse_unknown(args);
  if (args.words.size() != 2) throw usage_error("create webhook takes no directory argument: use --project-dir");
  if (!defaulting && !validation && !conversion)
    throw usage_error("create webhook: give --defaulting, --validation, --conversion, or several");
  if (conversion && spokes.empty())
    throw usage_error("--conversion needs --spoke VERSION[,VERSION...]: the versions of " + kind +
                      " that convert to and from " + version + ", the hub");
  if (!conversion && !spokes.empty()) throw usage_error("--spoke goes with --conversion");

  Project project = read_project(dir);
  ProjectResource* resource = nullptr;
  for (auto& r : project.resources)
    if (r.group == group && r.version == version && r.kind == kind) resource = &r;
  if (!resource)
    throw usage_error("no kind " + kind + " in " + group + "." + project.domain + "/" + version +
                      " in PROJECT: `kopp create api --group " + group + " --version " + version + " --kind " + kind +
                      "` first");
  if (conversion) {
    const ProjectResource* hub = project.controller_version(group, kind);
    if (!resource->controller)
      throw usage_error("--version " + version + " cannot be the hub of " + kind + "'s conversions: the hub is " +
                        (hub ? hub->version : std::string("the version with the controller")) +
                        ", the version the API server stores and the controller reconciles");
    for (const auto& spoke : spokes) {
      check_version(spoke, "--spoke");
      if (spoke == version) throw usage_error("--spoke " + spoke + " is the hub (--version) itself");
      if (!project.find(group, spoke, kind))
        throw usage_error("--spoke " + spoke + ": no " + kind + " in " + group + "." + project.domain + "/" + spoke +
                          " in PROJECT: `kopp create api --group " + group + " --version " + spoke + " --kind " + kind +
                          "` first");
    }
  }
  const bool first_webhook_of_project = std::none_of(project.resources.begin(), project.resources.end(),
                                                     [](const ProjectResource& r) { return r.has_webhook(); });
  // A second run adds to the first: the files are rendered for both runs' webhooks.
  resource->defaulting = resource->defaulting || defaulting;
  resource->validation = resource->validation || validation;
  resource->conversion = resource->conversion || conversion;
  for (const auto& spoke : spokes)
    if (std::find(resource->spokes.begin(), resource->spokes.end(), spoke) == resource->spokes.end())
      resource->spokes.push_back(spoke);

  namespace t = templates;
  const auto values = kind_values(project, *resource);
  FileWriter writer(dir, force);
  std::cout << "kopp create webhook: " << kind << " (" << values.at("fqgroup") << "/" << version
            << "):" << (resource->defaulting ? " defaulting" : "") << (resource->validation ? " validation" : "");
  if (resource->conversion) {
    std::cout << " conversion to and from";
    for (const auto& spoke : resource->spokes) std::cout << " " << spoke;
  }
  std::cout << " in " << dir.string() << "\n";
  // Once per project (unchanged on later runs), first: the Service, the certificate, the
  // manager's volume, and config/default's wiring of them, which the kinds' add to.
  writer.write("config/webhook/kustomization.yaml", std::string(t::config_webhook_kustomization));
  writer.write("config/webhook/service.yaml", render(t::config_webhook_service, values));
  writer.write("config/certmanager/kustomization.yaml", std::string(t::config_certmanager_kustomization));
  writer.write("config/certmanager/certificate.yaml", std::string(t::config_certmanager_certificate));
  writer.write("config/default/manager_webhook_patch.yaml", std::string(t::config_default_manager_webhook_patch));
  writer.write("tests/e2e/webhook_config_test.cpp", render(t::webhook_config_test_cpp, values));
  writer.register_at("CMakeLists.txt", "# kopp:scaffold:kinds", render(t::register_webhooks_cmake, values));
  writer.register_at("config/default/kustomization.yaml", "# kopp:scaffold:default-resources",
                     std::string(t::register_default_resources));
  writer.register_at("config/default/kustomization.yaml", "# kopp:scaffold:default-webhook",
                     std::string(t::register_default_webhook));
  if (resource->defaulting || resource->validation) write_admission_webhooks(writer, values, *resource);
  if (resource->conversion) write_conversion_webhook(writer, values, *resource);
  writer.update("PROJECT", format_project(project));
  print_report(writer);
  std::cout << "Next: fill in "
            << (resource->defaulting || resource->validation ? "src/" + values.at("kind_lower") + "_webhook.cpp" : "")
            << (resource->conversion ? std::string(resource->defaulting || resource->validation ? " and " : "") +
                                           "src/api/<spoke>/" + values.at("kind_lower") + "_conversion.cpp"
                                     : "")
            << ", then build: the webhook configurations are written to config/webhook/manifests.yaml"
            << (resource->conversion ? ", the CRD's conversion to config/crd/bases/" : "") << "."
            << (first_webhook_of_project ? " config/default now needs cert-manager in the cluster (config/certmanager)."
                                         : "")
            << "\n";
  return 0;
}

int run(int argc, char** argv) {
  Arguments args =
      parse_arguments(argc, argv, {"force", "cluster-scoped", "defaulting", "validation", "conversion", "help"});
  if (args.flags.count("help") || args.words.empty() || args.words[0] == "help") {
    std::cout << usage;
    return args.words.empty() && !args.flags.count("help") ? 2 : 0;
  }
  const std::string& command = args.words[0];
  if (command == "version") {
    std::cout << "kopp " << KOPP_SCAFFOLD_VERSION << "\n";
    return 0;
  }
  if (command == "init") return run_init(std::move(args));
  if (command == "create") {
    if (args.words.size() < 2) throw usage_error("create what? `kopp create api ...` or `kopp create webhook ...`");
    if (args.words[1] == "api") return run_create_api(std::move(args));
    if (args.words[1] == "webhook") return run_create_webhook(std::move(args));
    throw usage_error("unknown: create " + args.words[1] + " (this kopp scaffolds create api and create webhook)");
  }
  throw usage_error("unknown command \"" + command + "\"");
}

}  // namespace
}  // namespace kopp_scaffold

int main(int argc, char** argv) {
  try {
    return kopp_scaffold::run(argc, argv);
  } catch (const kopp_scaffold::usage_error& e) {
    std::cerr << "kopp: " << e.what() << "\n(kopp --help shows the commands)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kopp: " << e.what() << "\n";
    return 1;
  }
}
