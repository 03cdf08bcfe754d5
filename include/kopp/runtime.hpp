#pragma once
// The runtime: informers, workqueue, controllers, leader election, events, manager.

#include <kopp/core/partial_object_metadata.hpp>
#include <kopp/runtime/cache/informer.hpp>
#include <kopp/runtime/cache/informer_factory.hpp>
#include <kopp/runtime/cache/label_selector.hpp>
#include <kopp/runtime/cache/store.hpp>
#include <kopp/runtime/cache/watcher.hpp>
#include <kopp/runtime/cache/watcher_fsm.hpp>
#include <kopp/runtime/controller/action.hpp>
#include <kopp/runtime/controller/controller.hpp>
#include <kopp/runtime/controller/finalizer.hpp>
#include <kopp/runtime/controller/object_helpers.hpp>
#include <kopp/runtime/controller/predicate.hpp>
#include <kopp/runtime/controller/reconciler.hpp>
#include <kopp/runtime/manager/events.hpp>
#include <kopp/runtime/manager/leader_election.hpp>
#include <kopp/runtime/manager/leader_election_fsm.hpp>
#include <kopp/runtime/manager/manager.hpp>
#include <kopp/runtime/manager/operator_flags.hpp>
#include <kopp/runtime/telemetry/log.hpp>
#include <kopp/runtime/telemetry/metrics.hpp>
#include <kopp/runtime/telemetry/probe_server.hpp>
#include <kopp/runtime/workqueue/clock.hpp>
#include <kopp/runtime/workqueue/rate_limiter.hpp>
#include <kopp/runtime/workqueue/workqueue.hpp>
