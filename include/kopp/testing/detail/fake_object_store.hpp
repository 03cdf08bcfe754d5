#pragma once
// The fake API server's storage, as etcd is to the real one: objects by resource,
// namespace and name (listed in key order, as etcd lists /registry/<resource>/<ns>/<name>),
// one resourceVersion counter for every write, and the history of changes since the last
// compaction, from which a watch resumes at a resourceVersion and a paginated list reads
// the state at its first page's resourceVersion.

#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kopp::testing::detail {

struct ObjectName {
  std::string ns;
  std::string name;
  friend auto operator<=>(const ObjectName&, const ObjectName&) = default;
};

/// One change, as the watch cache keeps it: the object after the change (for DELETED: the
/// last stored state, carrying the deletion's resourceVersion) and the one before.
struct StoredEvent {
  std::uint64_t resource_version = 0;
  std::string type;  ///< ADDED, MODIFIED, DELETED
  std::string storage_key;
  ObjectName key;
  boost::json::object object;
  std::optional<boost::json::object> previous;
};

using ObjectMap = std::map<ObjectName, boost::json::object>;

class ObjectStore {
 public:
  std::uint64_t resource_version() const { return resource_version_; }
  std::uint64_t compacted() const { return compacted_; }

  const ObjectMap& objects(const std::string& storage_key) const {
    static const ObjectMap none;
    auto it = objects_.find(storage_key);
    return it == objects_.end() ? none : it->second;
  }

  const boost::json::object* get(const std::string& storage_key, const ObjectName& key) const {
    auto it = objects_.find(storage_key);
    if (it == objects_.end()) return nullptr;
    auto found = it->second.find(key);
    return found == it->second.end() ? nullptr : &found->second;
  }

  /// The storage key and name of the object with `uid`, or nullopt.
  std::optional<std::pair<std::string, ObjectName>> find_uid(const std::string& uid) const {
    auto it = uids_.find(uid);
    if (it == uids_.end()) return std::nullopt;
    return it->second;
  }

  /// Every stored resource's key (group/plural).
  std::vector<std::string> storage_keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, objects] : objects_)
      if (!objects.empty()) keys.push_back(key);
    return keys;
  }

  /// Stores `object` (its metadata.resourceVersion already set to next_resource_version())
  /// and records the event.
  const StoredEvent& put(const std::string& storage_key, const ObjectName& key, boost::json::object object) {
    StoredEvent event;
    event.resource_version = ++resource_version_;
    event.storage_key = storage_key;
    event.key = key;
    auto& slot = objects_[storage_key];
    auto it = slot.find(key);
    if (it == slot.end()) {
      event.type = "ADDED";
    } else {
      event.type = "MODIFIED";
      event.previous = it->second;
    }
    event.object = object;
    slot[key] = std::move(object);
    index_uid(storage_key, key, slot[key]);
    history_.push_back(std::move(event));
    return history_.back();
  }

  /// Removes the object; `last` is its last state carrying the deletion's resourceVersion.
  const StoredEvent& erase(const std::string& storage_key, const ObjectName& key, boost::json::object last) {
    StoredEvent event;
    event.resource_version = ++resource_version_;
    event.type = "DELETED";
    event.storage_key = storage_key;
    event.key = key;
    auto& slot = objects_[storage_key];
    auto it = slot.find(key);
    if (it != slot.end()) {
      event.previous = it->second;
      if (const auto* meta = it->second.if_contains("metadata"); meta && meta->is_object())
        if (const auto* uid = meta->get_object().if_contains("uid"); uid && uid->is_string())
          uids_.erase(std::string(uid->get_string()));
      slot.erase(it);
    }
    event.object = std::move(last);
    history_.push_back(std::move(event));
    return history_.back();
  }

  std::uint64_t next_resource_version() const { return resource_version_ + 1; }

  const std::deque<StoredEvent>& history() const { return history_; }

  void compact() {
    history_.clear();
    compacted_ = resource_version_;
  }

  /// The objects of one resource as they were at `resource_version` (not older than the
  /// compaction): the current ones with every later change undone.
  ObjectMap objects_at(const std::string& storage_key, std::uint64_t resource_version) const {
    ObjectMap state = objects(storage_key);
    for (auto it = history_.rbegin(); it != history_.rend() && it->resource_version > resource_version; ++it) {
      if (it->storage_key != storage_key) continue;
      if (it->previous)
        state[it->key] = *it->previous;
      else
        state.erase(it->key);
    }
    return state;
  }

 private:
  void index_uid(const std::string& storage_key, const ObjectName& key, const boost::json::object& object) {
    if (const auto* meta = object.if_contains("metadata"); meta && meta->is_object())
      if (const auto* uid = meta->get_object().if_contains("uid"); uid && uid->is_string())
        uids_[std::string(uid->get_string())] = {storage_key, key};
  }

  std::map<std::string, ObjectMap> objects_;
  std::map<std::string, std::pair<std::string, ObjectName>> uids_;
  std::deque<StoredEvent> history_;
  std::uint64_t resource_version_ = 0;
  std::uint64_t compacted_ = 0;
};

}  // namespace kopp::testing::detail
