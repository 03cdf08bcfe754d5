// CustomResourceDefinition objects built from resource types, and their YAML.
#include <kopp/core/crd.hpp>
#include <kopp/core.hpp>

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include <sstream>

namespace json = boost::json;

namespace crddef {

struct WidgetSpec {
  std::int32_t replicas = 1;
  std::optional<std::string> image;
};
BOOST_DESCRIBE_STRUCT(WidgetSpec, (), (replicas, image))
KOPP_CRD_FIELDS(WidgetSpec, kopp::crd::field("replicas").minimum(0).required(),
                kopp::crd::field("image").default_value("nginx"))

struct WidgetStatus {
  std::int32_t readyReplicas = 0;
  std::string selector;
};
BOOST_DESCRIBE_STRUCT(WidgetStatus, (), (readyReplicas, selector))

struct Widget {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  WidgetSpec spec;
  WidgetStatus status;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Widget, (), (apiVersion, kind, metadata, spec, status, unknown_fields))
KOPP_RESOURCE(Widget, "widgets.example.com", "v1", "Widget", "widgets", namespaced)
KOPP_CRD_DOC(Widget, "Widget is a test resource.")

struct ThingSpec {
  std::string color;
};
BOOST_DESCRIBE_STRUCT(ThingSpec, (), (color))

struct ThingV1 {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  ThingSpec spec;
};
BOOST_DESCRIBE_STRUCT(ThingV1, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(ThingV1, "things.example.com", "v1", "Thing", "things", cluster)

struct ThingV2Spec {
  std::string color;
  std::int32_t size = 0;
};
BOOST_DESCRIBE_STRUCT(ThingV2Spec, (), (color, size))

struct ThingV2 {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  ThingV2Spec spec;
  kopp::UnknownFields status;  // any name: an UnknownFields member is not a property
};
BOOST_DESCRIBE_STRUCT(ThingV2, (), (apiVersion, kind, metadata, spec, status))
KOPP_RESOURCE(ThingV2, "things.example.com", "v2", "Thing", "things", cluster)

struct ThingV3 {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  boost::json::value spec;
};
BOOST_DESCRIBE_STRUCT(ThingV3, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(ThingV3, "things.example.com", "v3", "Thing", "things", cluster)

struct Bad {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
};
BOOST_DESCRIBE_STRUCT(Bad, (), (apiVersion, kind, metadata))
KOPP_RESOURCE(Bad, "nodots", "v1", "Bad", "Bads", namespaced)

}  // namespace crddef

using namespace crddef;

namespace {

// YAML back to JSON as kubectl reads it: quoted scalars are strings, plain ones are
// resolved to bool, null, integer or number when they look like one.
json::value yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) o[kv.first.Scalar()] = yaml_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : node) a.push_back(yaml_to_json(item));
      return a;
    }
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return json::value(s);
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      std::size_t used = 0;
      try {
        long long i = std::stoll(s, &used);
        if (used == s.size()) return i;
        double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (const std::exception&) {
      }
      return json::value(s);
    }
    default:
      return nullptr;
  }
}

}  // namespace

TEST_CASE("crd definition: single version with defaults", "[crd]") {
  const json::object crd = kopp::crd::definition<Widget>();
  CHECK(crd.at("apiVersion") == "apiextensions.k8s.io/v1");
  CHECK(crd.at("kind") == "CustomResourceDefinition");
  CHECK(crd.at("metadata") == json::parse(R"({"name":"widgets.widgets.example.com"})"));
  const json::object& spec = crd.at("spec").as_object();
  CHECK(spec.at("group") == "widgets.example.com");
  CHECK(spec.at("scope") == "Namespaced");
  CHECK(spec.at("names") ==
        json::parse(R"({"kind":"Widget","listKind":"WidgetList","plural":"widgets","singular":"widget"})"));
  REQUIRE(spec.at("versions").as_array().size() == 1);
  const json::object& v1 = spec.at("versions").at(0).as_object();
  CHECK(v1.at("name") == "v1");
  CHECK(v1.at("served") == true);
  CHECK(v1.at("storage") == true);
  CHECK_FALSE(v1.contains("deprecated"));
  CHECK(v1.at("subresources") == json::parse(R"({"status":{}})"));
  CHECK_FALSE(v1.contains("additionalPrinterColumns"));
  const json::object& root = v1.at("schema").at("openAPIV3Schema").as_object();
  CHECK(root.at("description") == "Widget is a test resource.");
  CHECK(root.at("type") == "object");
  const json::object& props = root.at("properties").as_object();
  CHECK(props.at("apiVersion") == json::parse(R"({"type":"string"})"));
  CHECK(props.at("kind") == json::parse(R"({"type":"string"})"));
  CHECK(props.at("metadata") == json::parse(R"({"type":"object"})"));
  CHECK(props.at("spec").at("required") == json::parse(R"(["replicas"])"));
  CHECK(props.at("spec").at("properties").at("image").at("default") == "nginx");
  CHECK(props.at("status").at("properties").at("readyReplicas").at("type") == "integer");
  CHECK(props.size() == 5);
}

TEST_CASE("crd definition: names, subresources and printer columns", "[crd]") {
  const json::object crd =
      kopp::crd::custom_resource_definition<Widget>()
          .singular("wdgt")
          .short_names({"wd", "wds"})
          .categories({"all", "example"})
          .list_kind("WidgetCollection")
          .scale_subresource(kopp::crd::ScaleSubresource(".spec.replicas", ".status.readyReplicas")
                                 .label_selector_path(".status.selector"))
          .printer_column(kopp::crd::PrinterColumn("Replicas", kopp::crd::column_type::integer, ".spec.replicas")
                              .description("Desired pods"))
          .printer_column(kopp::crd::PrinterColumn("Image", kopp::crd::column_type::string, ".spec.image").priority(1))
          .printer_column(kopp::crd::PrinterColumn("Age", kopp::crd::column_type::date, ".metadata.creationTimestamp"))
          .build();
  const json::object& spec = crd.at("spec").as_object();
  CHECK(spec.at("names") == json::parse(R"({"kind":"Widget","listKind":"WidgetCollection","plural":"widgets",
        "singular":"wdgt","shortNames":["wd","wds"],"categories":["all","example"]})"));
  const json::object& v1 = spec.at("versions").at(0).as_object();
  CHECK(v1.at("subresources") == json::parse(R"({"status":{},"scale":{"specReplicasPath":".spec.replicas",
        "statusReplicasPath":".status.readyReplicas","labelSelectorPath":".status.selector"}})"));
  CHECK(v1.at("additionalPrinterColumns") == json::parse(R"([
        {"name":"Replicas","type":"integer","description":"Desired pods","jsonPath":".spec.replicas"},
        {"name":"Image","type":"string","priority":1,"jsonPath":".spec.image"},
        {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}])"));

  const json::object no_status = kopp::crd::custom_resource_definition<Widget>().status_subresource(false).build();
  CHECK_FALSE(no_status.at("spec").at("versions").at(0).as_object().contains("subresources"));
}

TEST_CASE("crd definition: several versions, one storage", "[crd]") {
  const json::object crd =
      kopp::crd::custom_resource_definition<ThingV1, ThingV2, ThingV3>()
          .storage<ThingV2>()
          .deprecated<ThingV1>("things.example.com/v1 is deprecated; use v2")
          .served<ThingV3>(false)
          .printer_column(kopp::crd::PrinterColumn("Color", kopp::crd::column_type::string, ".spec.color"))
          .printer_column<ThingV2>(kopp::crd::PrinterColumn("Size", kopp::crd::column_type::integer, ".spec.size"))
          .build();
  const json::object& spec = crd.at("spec").as_object();
  CHECK(spec.at("scope") == "Cluster");
  CHECK(crd.at("metadata").at("name") == "things.things.example.com");
  const json::array& versions = spec.at("versions").as_array();
  REQUIRE(versions.size() == 3);
  CHECK(versions[0].at("name") == "v1");
  CHECK(versions[0].at("storage") == false);
  CHECK(versions[0].at("served") == true);
  CHECK(versions[0].at("deprecated") == true);
  CHECK(versions[0].at("deprecationWarning") == "things.example.com/v1 is deprecated; use v2");
  CHECK(versions[1].at("name") == "v2");
  CHECK(versions[1].at("storage") == true);
  CHECK_FALSE(versions[1].as_object().contains("deprecated"));
  CHECK(versions[2].at("served") == false);
  CHECK(versions[0].at("additionalPrinterColumns").as_array().size() == 1);
  CHECK(versions[1].at("additionalPrinterColumns").as_array().size() == 2);
  CHECK(versions[1].at("additionalPrinterColumns").at(1).at("name") == "Size");
  // No status member (ThingV2's UnknownFields named status is not one): no subresource.
  for (const json::value& v : versions) CHECK_FALSE(v.as_object().contains("subresources"));
  CHECK(
      versions[1].at("schema").at("openAPIV3Schema").at("properties").at("spec").at("properties").as_object().size() ==
      2);
  CHECK(versions[2].at("schema").at("openAPIV3Schema").at("properties").at("spec") ==
        json::parse(R"({"x-kubernetes-preserve-unknown-fields":true})"));
}

TEST_CASE("crd definition: misuse is reported by build", "[crd]") {
  const auto message_of = [](const auto& builder) -> std::string {
    try {
      (void)builder.build();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  const std::string no_storage = message_of(kopp::crd::custom_resource_definition<ThingV1, ThingV2>());
  CHECK_THAT(no_storage, Catch::Contains("no storage version"));

  auto two = kopp::crd::custom_resource_definition<ThingV1, ThingV2>();
  (void)two.storage<ThingV1>().storage<ThingV2>().served<ThingV2>(false).status_subresource(true);
  const std::string two_storage = message_of(two);
  CHECK_THAT(two_storage, Catch::StartsWith("kopp: CustomResourceDefinition things.things.example.com: "));
  CHECK_THAT(two_storage, Catch::Contains("two storage versions: v1 and v2"));
  CHECK_THAT(two_storage, Catch::Contains("the storage version v2 is not served"));
  CHECK_THAT(two_storage, Catch::Contains("status_subresource(true), but the v1 type has no status member"));

  auto widget = kopp::crd::custom_resource_definition<Widget>();
  (void)widget.short_names({"Bad_Name"})
      .scale_subresource(kopp::crd::ScaleSubresource("spec.replicas", ".spec.replicas"))
      .printer_column(kopp::crd::PrinterColumn("Size", kopp::crd::column_type::integer, "spec.size"))
      .printer_column(kopp::crd::PrinterColumn("Size", kopp::crd::column_type::integer, ".spec.size").priority(-1));
  const std::string widget_errors = message_of(widget);
  CHECK_THAT(widget_errors, Catch::Contains("the short name \"Bad_Name\" must be lower-case"));
  CHECK_THAT(widget_errors,
             Catch::Contains("the scale specReplicasPath must start with .spec. (got \"spec.replicas\")"));
  CHECK_THAT(widget_errors, Catch::Contains("the scale statusReplicasPath must start with .status."));
  CHECK_THAT(widget_errors, Catch::Contains("printer column \"Size\" of v1: the JSONPath must start with '.'"));
  CHECK_THAT(widget_errors, Catch::Contains("two printer columns of v1 are named \"Size\""));
  CHECK_THAT(widget_errors, Catch::Contains("priority must not be negative"));

  const std::string bad = message_of(kopp::crd::custom_resource_definition<Bad>());
  CHECK_THAT(bad, Catch::Contains("the group \"nodots\" needs a dot"));
  CHECK_THAT(bad, Catch::Contains("the plural \"Bads\" must be lower-case"));
}

TEST_CASE("crd definition: a conversion webhook and annotations", "[crd]") {
  kopp::crd::ConversionWebhook in_cluster;
  in_cluster.service_namespace = "things-system";
  in_cluster.service_name = "webhook-service";
  const json::object crd = kopp::crd::custom_resource_definition<ThingV1, ThingV2>()
                               .storage<ThingV1>()
                               .conversion_webhook(in_cluster)
                               .annotations({{"cert-manager.io/inject-ca-from", "things-system/serving-cert"}})
                               .build();
  CHECK(crd.at("metadata") == json::parse(R"({"name":"things.things.example.com",
    "annotations":{"cert-manager.io/inject-ca-from":"things-system/serving-cert"}})"));
  CHECK(crd.at("spec").at("conversion") == json::parse(R"({"strategy":"Webhook","webhook":{
    "clientConfig":{"service":{"namespace":"things-system","name":"webhook-service","path":"/convert","port":443}},
    "conversionReviewVersions":["v1"]}})"));

  kopp::crd::ConversionWebhook local;
  local.url = "https://127.0.0.1:9443/convert";
  local.ca_bundle_base64 = "Q0E=";
  const json::object with_url =
      kopp::crd::custom_resource_definition<ThingV1, ThingV2>().storage<ThingV1>().conversion_webhook(local).build();
  CHECK(with_url.at("spec").at("conversion").at("webhook").at("clientConfig") ==
        json::parse(R"({"url":"https://127.0.0.1:9443/convert","caBundle":"Q0E="})"));

  auto message_of = [](const auto& builder) -> std::string {
    try {
      (void)builder.build();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  kopp::crd::ConversionWebhook both = in_cluster;
  both.url = "https://x/convert";
  CHECK_THAT(
      message_of(kopp::crd::custom_resource_definition<ThingV1, ThingV2>().storage<ThingV1>().conversion_webhook(both)),
      Catch::Contains("either a service or a URL, not both"));
  kopp::crd::ConversionWebhook plain;
  plain.url = "http://127.0.0.1/convert";
  CHECK_THAT(message_of(kopp::crd::custom_resource_definition<ThingV1, ThingV2>().storage<ThingV1>().conversion_webhook(
                 plain)),
             Catch::Contains("must start with https://"));
  CHECK_THAT(message_of(kopp::crd::custom_resource_definition<Widget>().conversion_webhook(in_cluster)),
             Catch::Contains("one version converts nothing"));
}

TEST_CASE("crd yaml: parses back to the same JSON", "[crd]") {
  const json::object crd =
      kopp::crd::custom_resource_definition<ThingV1, ThingV2>()
          .storage<ThingV2>()
          .printer_column(kopp::crd::PrinterColumn("Color", kopp::crd::column_type::string, ".spec.color"))
          .build();
  const std::string yaml = kopp::crd::to_yaml(crd);
  CHECK_THAT(yaml, Catch::StartsWith("---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"));
  CHECK(yaml_to_json(YAML::Load(yaml)) == json::value(crd));

  // Strings a YAML 1.1 reader would take for something else stay strings.
  const json::value tricky = json::parse(R"({
        "empty": "", "yes": "yes", "On": "On", "n": "N", "t": "true", "nul": "null", "tilde": "~",
        "num": "1.5", "int": "42", "neg": "-3", "ver": "1.6.38", "colon": "a: b", "hash": "# x",
        "multi": "line one\nline two", "pattern": "^[a-z]+$", "star": "*", "brace": "{x}",
        "i": 7, "big": 9007199254740993, "d": 2.0, "half": 0.5, "b": false, "null": null,
        "emptyobj": {}, "emptyarr": [], "nested": [[1, "2"], {"k": ["v"]}]})");
  const std::string tricky_yaml = kopp::crd::to_yaml(tricky);
  CHECK(yaml_to_json(YAML::Load(tricky_yaml)) == tricky);

  std::ostringstream printed;
  kopp::crd::print_yaml(printed, crd);
  CHECK(printed.str() == yaml);

  const std::string two = kopp::crd::to_yaml(std::vector<json::value>{json::value(crd), tricky});
  const std::vector<YAML::Node> docs = YAML::LoadAll(two);
  REQUIRE(docs.size() == 2);
  CHECK(yaml_to_json(docs[0]) == json::value(crd));
  CHECK(yaml_to_json(docs[1]) == tricky);
}
