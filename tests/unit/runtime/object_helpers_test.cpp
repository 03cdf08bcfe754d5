#include "support/test_types.hpp"

#include <kopp/runtime/controller/action.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>

#include <catch2/catch.hpp>

using kopp_test::ConfigMap;

namespace {
ConfigMap make(std::string ns, std::string name, std::string uid) {
  ConfigMap cm;
  cm.metadata.namespace_ = std::move(ns);
  cm.metadata.name = std::move(name);
  cm.metadata.uid = std::move(uid);
  return cm;
}
}  // namespace

TEST_CASE("set_controller_reference adds one controller reference, idempotently", "[runtime][owner]") {
  auto owner = make("ns", "owner", "uid-1");
  auto child = make("ns", "child", "");
  kopp::set_controller_reference(owner, child);
  kopp::set_controller_reference(owner, child);
  REQUIRE(child.metadata.ownerReferences.size() == 1);
  const auto& ref = child.metadata.ownerReferences[0];
  CHECK(ref.uid == "uid-1");
  CHECK(ref.kind == "ConfigMap");
  CHECK(ref.apiVersion == "v1");
  CHECK(ref.controller == true);
  CHECK(ref.blockOwnerDeletion == true);
}

TEST_CASE("set_controller_reference refuses a second controller and cross-namespace owners", "[runtime][owner]") {
  auto owner = make("ns", "owner", "uid-1");
  auto other = make("ns", "other", "uid-2");
  auto child = make("ns", "child", "");
  kopp::set_controller_reference(owner, child);
  CHECK_THROWS_AS(kopp::set_controller_reference(other, child), kopp::already_owned_error);
  auto elsewhere = make("elsewhere", "child", "");
  CHECK_THROWS_WITH(kopp::set_controller_reference(owner, elsewhere), Catch::Contains("cannot cross namespaces"));
  auto unsaved = make("ns", "new", "");
  CHECK_THROWS_WITH(kopp::set_controller_reference(unsaved, child), Catch::Contains("has no uid"));
}

TEST_CASE("actions", "[runtime][action]") {
  using namespace std::chrono_literals;
  CHECK_FALSE(kopp::Action::done().requeue());
  CHECK(kopp::Action::requeue_after(5s).requeue() == std::chrono::steady_clock::duration(5s));
  CHECK(kopp::Action::done() == kopp::Action::done());
  CHECK_FALSE(kopp::Action::done() == kopp::Action::requeue_after(1s));
}
