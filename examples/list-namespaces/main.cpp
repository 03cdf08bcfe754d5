// list-namespaces: the smallest kopp program. It finds the cluster the way kubectl and
// controller-runtime do (--kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config), lists the
// namespaces with a typed Api, and prints them like `kubectl get namespaces`.
//
//   list-namespaces [--kubeconfig FILE] [--context NAME]

#include <kopp/kopp.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>

#include <cstdio>
#include <iostream>
#include <string_view>

namespace {

/// The part of core/v1 Namespace this program reads; the rest is kept, not dropped.
struct NamespaceStatus {
  std::string phase;
};
BOOST_DESCRIBE_STRUCT(NamespaceStatus, (), (phase))

struct Namespace {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  NamespaceStatus status;
  kopp::UnknownFields unknown_fields;
};
BOOST_DESCRIBE_STRUCT(Namespace, (), (apiVersion, kind, metadata, status, unknown_fields))
KOPP_RESOURCE(Namespace, "", "v1", "Namespace", "namespaces", cluster)

std::string age(const std::optional<kopp::Time>& created) {
  if (!created) return "<unknown>";
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - created->time_point())
          .count();
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds / 3600) + "h";
}

boost::asio::awaitable<void> list_namespaces(kopp::Config config) {
  kopp::Client client(co_await boost::asio::this_coro::executor, std::move(config));
  auto namespaces = kopp::Api<Namespace>::all(client);
  auto list = co_await namespaces.list();
  std::printf("%-32s %-12s %s\n", "NAME", "STATUS", "AGE");
  for (const auto& ns : list.items)
    std::printf("%-32s %-12s %s\n", ns.metadata.name.c_str(), ns.status.phase.c_str(),
                age(ns.metadata.creationTimestamp).c_str());
  std::printf("(%zu namespaces from %s, resourceVersion %s)\n", list.items.size(), client.config().server.c_str(),
              list.metadata.resourceVersion.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::filesystem::path> kubeconfig;
  std::optional<std::string> context;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--kubeconfig" && i + 1 < argc)
      kubeconfig = argv[++i];
    else if (arg == "--context" && i + 1 < argc)
      context = argv[++i];
    else {
      std::cerr << "usage: list-namespaces [--kubeconfig FILE] [--context NAME]\n";
      return 2;
    }
  }
  try {
    auto config = kopp::from_environment(kubeconfig, context);
    boost::asio::io_context io;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, list_namespaces(std::move(config)), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    std::cerr << "list-namespaces: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
