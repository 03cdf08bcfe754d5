#pragma once
// The PROJECT file at a scaffolded project's root (kubebuilder keeps one of the same name):
// what `kopp init` was given and which kinds `kopp create api` added. Later commands read
// it, so they need no --domain and know what exists.
//
//   layout: kopp/v1
//   domain: example.com
//   projectName: my-operator
//   resources:
//   - group: cache
//     version: v1alpha1
//     kind: Memcached
//     plural: memcacheds
//     namespaced: true
//     controller: true     # false for a second version (`kopp create api` again)
//     webhooks:            # once `kopp create webhook` added them
//       defaulting: true
//       validation: true
//       conversion: true   # on the hub version, with the spoke versions
//       spokes: [v1beta1]

#include "names.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace kopp_scaffold {

inline constexpr std::string_view project_layout = "kopp/v1";

struct ProjectResource {
  std::string group;  // the first label: cache
  std::string version;
  std::string kind;
  std::string plural;
  bool namespaced = true;
  /// The version a controller reconciles, whose CRD source lists the kind's versions (the
  /// first `kopp create api` of a kind); later versions are served by the same CRD.
  bool controller = true;
  bool defaulting = false;  // a defaulting (mutating) webhook
  bool validation = false;  // a validating webhook
  bool conversion = false;  // the hub of a conversion webhook, converting to and from `spokes`
  std::vector<std::string> spokes = {};

  [[nodiscard]] bool has_webhook() const noexcept { return defaulting || validation || conversion; }
};

struct Project {
  std::string domain;
  std::string name;
  std::vector<ProjectResource> resources;

  [[nodiscard]] const ProjectResource* find(std::string_view group, std::string_view version,
                                            std::string_view kind) const {
    for (const auto& r : resources)
      if (r.group == group && r.version == version && r.kind == kind) return &r;
    return nullptr;
  }
  /// The version of `kind` that has the controller and the CRD source, if any.
  [[nodiscard]] const ProjectResource* controller_version(std::string_view group, std::string_view kind) const {
    for (const auto& r : resources)
      if (r.group == group && r.kind == kind && r.controller) return &r;
    return nullptr;
  }
};

/// Parses PROJECT text; errors name the file's field and what is wrong with it.
inline Project parse_project(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw usage_error("PROJECT is not YAML: " + std::string(e.what()));
  }
  const auto scalar = [](const YAML::Node& node, const std::string& field) {
    if (!node || !node.IsScalar()) throw usage_error("PROJECT: " + field + " is missing or not a string");
    return node.as<std::string>();
  };
  if (!root.IsMap()) throw usage_error("PROJECT: not a mapping (was it written by `kopp init`?)");
  const std::string layout = scalar(root["layout"], "layout");
  if (layout != project_layout)
    throw usage_error("PROJECT: layout \"" + layout + "\" is not " + std::string(project_layout) +
                      ", the one this kopp writes");
  Project project;
  project.domain = scalar(root["domain"], "domain");
  project.name = scalar(root["projectName"], "projectName");
  check_domain(project.domain);
  check_project_name(project.name);
  if (const YAML::Node resources = root["resources"]; resources && !resources.IsNull()) {
    if (!resources.IsSequence()) throw usage_error("PROJECT: resources is not a list");
    for (std::size_t i = 0; i < resources.size(); ++i) {
      const YAML::Node r = resources[i];
      const std::string at = "resources[" + std::to_string(i) + "].";
      ProjectResource resource;
      resource.group = scalar(r["group"], at + "group");
      resource.version = scalar(r["version"], at + "version");
      resource.kind = scalar(r["kind"], at + "kind");
      resource.plural = scalar(r["plural"], at + "plural");
      const std::string namespaced = scalar(r["namespaced"], at + "namespaced");
      if (namespaced != "true" && namespaced != "false")
        throw usage_error("PROJECT: " + at + "namespaced is \"" + namespaced + "\", not true or false");
      resource.namespaced = namespaced == "true";
      if (const YAML::Node controller = r["controller"]; controller) {
        const std::string value = scalar(controller, at + "controller");
        if (value != "true" && value != "false")
          throw usage_error("PROJECT: " + at + "controller is \"" + value + "\", not true or false");
        resource.controller = value == "true";
      }
      if (const YAML::Node webhooks = r["webhooks"]; webhooks && !webhooks.IsNull()) {
        if (!webhooks.IsMap()) throw usage_error("PROJECT: " + at + "webhooks is not a mapping");
        const auto flag = [&](const char* name) {
          const YAML::Node node = webhooks[name];
          if (!node) return false;
          const std::string value = scalar(node, at + "webhooks." + name);
          if (value != "true" && value != "false")
            throw usage_error("PROJECT: " + at + "webhooks." + name + " is \"" + value + "\", not true or false");
          return value == "true";
        };
        resource.defaulting = flag("defaulting");
        resource.validation = flag("validation");
        resource.conversion = flag("conversion");
        if (const YAML::Node spokes = webhooks["spokes"]; spokes && !spokes.IsNull()) {
          if (!spokes.IsSequence()) throw usage_error("PROJECT: " + at + "webhooks.spokes is not a list");
          for (std::size_t s = 0; s < spokes.size(); ++s) {
            const std::string version = scalar(spokes[s], at + "webhooks.spokes[" + std::to_string(s) + "]");
            check_version(version, "PROJECT: " + at + "webhooks.spokes");
            resource.spokes.push_back(version);
          }
        }
      }
      project.resources.push_back(std::move(resource));
    }
  }
  return project;
}

/// PROJECT text for `project`.
inline std::string format_project(const Project& project) {
  std::string out =
      "# Written by `kopp init` and `kopp create`, which read it back: keep it in version control.\n"
      "layout: " +
      std::string(project_layout) + "\ndomain: " + project.domain + "\nprojectName: " + project.name + "\n";
  if (project.resources.empty()) return out + "resources: []\n";
  out += "resources:\n";
  for (const auto& r : project.resources) {
    out += "- group: " + r.group + "\n  version: " + r.version + "\n  kind: " + r.kind + "\n  plural: " + r.plural +
           "\n  namespaced: " + (r.namespaced ? "true" : "false") +
           "\n  controller: " + (r.controller ? "true" : "false") + "\n";
    if (r.has_webhook()) {
      out += std::string("  webhooks:\n    defaulting: ") + (r.defaulting ? "true" : "false") +
             "\n    validation: " + (r.validation ? "true" : "false") +
             "\n    conversion: " + (r.conversion ? "true" : "false") + "\n";
      if (!r.spokes.empty()) {
        out += "    spokes:\n";
        for (const auto& spoke : r.spokes) out += "    - " + spoke + "\n";
      }
    }
  }
  return out;
}

}  // namespace kopp_scaffold
