#include "note_crd.hpp"

#include <kopp/core/crd.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/runtime/webhook/webhook_configuration.hpp>

#include <boost/describe/class.hpp>

#include <string>

namespace consumer {

struct NoteSpec {
  std::string text;
};
BOOST_DESCRIBE_STRUCT(NoteSpec, (), (text))

struct Note {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  NoteSpec spec;
};
BOOST_DESCRIBE_STRUCT(Note, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(Note, "example.com", "v1", "Note", "notes", namespaced)

boost::json::object note_crd() { return kopp::crd::custom_resource_definition<Note>().build(); }

std::vector<boost::json::value> note_webhooks() {
  std::vector<kopp::AdmissionWebhook> webhooks{
      kopp::admission_webhook_for<Note>(kopp::AdmissionWebhookType::validating, "/validate-example-com-v1-note"),
      kopp::admission_webhook_for<Note>(kopp::AdmissionWebhookType::mutating, "/mutate-example-com-v1-note")};
  kopp::WebhookClientConfig service;
  service.service_namespace = "notes-system";
  service.service_name = "webhook-service";
  return kopp::webhook_configurations("notes-webhooks", webhooks, service,
                                      {{"cert-manager.io/inject-ca-from", "notes-system/serving-cert"}});
}

}  // namespace consumer
