// docs/client.md's example, compiled (tools/docs/snippets.py keeps the two equal).
#include <kopp/client/api.hpp>
#include <kopp/client/in_cluster.hpp>

#include <boost/asio/io_context.hpp>

struct Widget {
  std::string apiVersion, kind;
  kopp::ObjectMeta metadata;
};
BOOST_DESCRIBE_STRUCT(Widget, (), (apiVersion, kind, metadata))
KOPP_RESOURCE(Widget, "example.com", "v1", "Widget", "widgets", namespaced)

template <class K>
void connect(boost::asio::any_io_executor executor) {
  // clang-format off
  // [doc:client]
  kopp::Client client(executor, kopp::from_environment());   // see docs/config.md
  kopp::Api<K> api(client, "namespace");                     // or Api<K>::all(client)
  // [/doc]
  // clang-format on
}

template void connect<Widget>(boost::asio::any_io_executor);
