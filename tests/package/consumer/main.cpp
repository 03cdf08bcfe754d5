// Uses the client layer enough to need every dependency kopp::kopp brings: Asio, Beast,
// OpenSSL (the transport's TLS context), Boost.JSON and Boost.URL.
#include <kopp/kopp.hpp>
#include <kopp/api/apps/v1.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>

struct Note {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  std::string text;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Note, (), (apiVersion, kind, metadata, text, unknown_fields))
KOPP_RESOURCE(Note, "example.com", "v1", "Note", "notes", namespaced)

int main() {
  Note note;
  note.metadata.name = "hello";
  note.text = "from a consumer";
  boost::asio::io_context io;
  kopp::Config config;
  config.server = "https://127.0.0.1:1";
  kopp::Client client(io.get_executor(), config);
  kopp::Api<Note> notes(client, "default");
  // A generated model through its codec: compiled once in kopp::compiled, inline otherwise.
  const auto deployment = kopp::parse_json<kopp::api::apps::v1::Deployment>(
      R"({"metadata":{"name":"web"},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c"}]}}}})");
  std::cout << "kopp " << kopp::version_string << " " << boost::json::serialize(kopp::Api<Note>::encode(note)) << "\n"
            << (KOPP_HEADER_ONLY ? "header-only" : "compiled")
            << " mode: " << boost::json::serialize(kopp::to_json(deployment.spec)) << "\n";
  return 0;
}
