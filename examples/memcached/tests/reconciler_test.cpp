// The reconciler's watch filter, without a server.
#include <memcached/reconciler.hpp>

#include <catch2/catch.hpp>

using namespace memcached;

TEST_CASE("the primary predicate passes spec and finalizer changes, not status writes", "[memcached]") {
  const auto p = memcached_changed();
  auto before = std::make_shared<Memcached>();
  before->metadata.generation = 1;
  auto status_only = std::make_shared<Memcached>(*before);
  status_only->status = v1alpha1::MemcachedStatus();
  status_only->status->readyReplicas = 2;
  CHECK_FALSE(p.update(before, status_only));

  auto resized = std::make_shared<Memcached>(*before);
  resized->metadata.generation = 2;
  CHECK(p.update(before, resized));

  auto finalized = std::make_shared<Memcached>(*before);
  finalized->metadata.finalizers = {std::string(inventory_finalizer)};
  CHECK(p.update(before, finalized));  // finalize() relies on this update to run apply

  auto deleting = std::make_shared<Memcached>(*finalized);
  deleting->metadata.deletionTimestamp = kopp::Time::now();
  CHECK(p.update(finalized, deleting));
}
