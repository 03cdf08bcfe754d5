// DynamicApi against a scripted server: what each mode asks the server for.
#include "support/fake_server.hpp"

#include <kopp/client/dynamic_api.hpp>

#include <catch2/catch.hpp>

using namespace kopp_test;
using boost::asio::awaitable;

namespace {

const kopp::ApiResource configmaps{"", "v1", "ConfigMap", "configmaps", true};

std::string list_json() {
  return R"({"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadataList","metadata":{"resourceVersion":"9"},)"
         R"("items":[{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":{"name":"a"}}]})";
}

}  // namespace

TEST_CASE("DynamicApi::metadata_only asks for PartialObjectMetadata on reads and watches", "[client][dynamic]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({http_response(200, R"({"kind":"PartialObjectMetadata","metadata":{"name":"a"}})")});
    server.script({http_response(200, list_json())});
    server.script({http_response(200, R"({"kind":"ConfigMap","metadata":{"name":"a"}})")});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server));
    const kopp::DynamicApi whole(client, configmaps, "ns");
    kopp::DynamicApi metadata = whole.metadata_only();
    CHECK(metadata.is_metadata_only());
    CHECK_FALSE(whole.is_metadata_only());
    const auto one = co_await metadata.get("a");
    CHECK(one.at("kind").as_string() == "PartialObjectMetadata");
    const auto page = co_await metadata.list_page();
    CHECK(page.at("items").as_array().size() == 1);
    kopp::DynamicApi plain = whole;
    co_await plain.get("a");
    const auto& seen = server.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].accept == kopp::partial_object_metadata_accept);
    CHECK(seen[0].target == "/api/v1/namespaces/ns/configmaps/a");
    CHECK(seen[1].accept == kopp::partial_object_metadata_list_accept);
    CHECK(seen[2].accept == "application/json");
  });
}

TEST_CASE("DynamicApi::metadata_only watches in metadata form", "[client][dynamic]") {
  with_server([](FakeServer& server) -> awaitable<void> {
    server.script({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(std::string_view(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                                                   "\n")
                                      .size()) +
                   "\r\n\r\n"
                   R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                   "\n"});
    kopp::Client client(co_await boost::asio::this_coro::executor, config_for(server));
    auto api = kopp::DynamicApi(client, configmaps, "ns").metadata_only();
    auto stream = co_await api.watch();
    auto event = co_await stream.next();
    REQUIRE(event.has_value());
    CHECK(event->type == kopp::WatchEventType::added);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].accept == kopp::partial_object_metadata_accept);
    CHECK(server.requests()[0].target.find("watch=1") != std::string::npos);
  });
}
