#pragma once
// The runtime: informers, workqueue, controllers, leader election, events, manager.

#include <kopp/runtime/action.hpp>
#include <kopp/runtime/clock.hpp>
#include <kopp/runtime/controller.hpp>
#include <kopp/runtime/events.hpp>
#include <kopp/runtime/finalizer.hpp>
#include <kopp/runtime/informer.hpp>
#include <kopp/runtime/label_selector.hpp>
#include <kopp/runtime/leader_election.hpp>
#include <kopp/runtime/leader_election_fsm.hpp>
#include <kopp/runtime/log.hpp>
#include <kopp/runtime/manager.hpp>
#include <kopp/runtime/metrics.hpp>
#include <kopp/runtime/object_helpers.hpp>
#include <kopp/runtime/operator_flags.hpp>
#include <kopp/runtime/partial_object_metadata.hpp>
#include <kopp/runtime/predicate.hpp>
#include <kopp/runtime/probe_server.hpp>
#include <kopp/runtime/rate_limiting.hpp>
#include <kopp/runtime/reconciler.hpp>
#include <kopp/runtime/shared_informers.hpp>
#include <kopp/runtime/store.hpp>
#include <kopp/runtime/watcher.hpp>
#include <kopp/runtime/watcher_fsm.hpp>
#include <kopp/runtime/workqueue.hpp>
