#pragma once

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace kopp {

template <CachedObject K>
Store<K>::Store() = default;

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::in_namespace(std::string_view ns) const {
  std::vector<object_ptr> out;
  if (ns.empty()) return out;  // cluster-scoped objects are in no namespace
  std::string prefix;
  prefix.reserve(ns.size() + 1);
  prefix.append(ns).append(1, '/');
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second.object);
  return out;
}

template <CachedObject K>
std::vector<std::string> Store<K>::namespaces() const {
  std::vector<std::string> out;
  auto it = objects_.begin();
  while (it != objects_.end()) {
    const auto slash = it->first.find('/');
    if (slash == std::string::npos) {  // cluster-scoped
      ++it;
      continue;
    }
    out.push_back(it->first.substr(0, slash));
    // '0' is the character after '/': the first key past this namespace's range.
    it = objects_.lower_bound(out.back() + '0');
  }
  // Key order is not name order when one namespace prefixes another ("a-b/x" < "a/x").
  std::sort(out.begin(), out.end());
  return out;
}

template <CachedObject K>
typename Store<K>::object_ptr Store<K>::get(std::string_view key) const {
  std::shared_lock lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second.object;
}

template <CachedObject K>
typename Store<K>::Entry Store<K>::entry(std::string_view key) const {
  std::shared_lock lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? Entry{} : it->second;
}

template <CachedObject K>
typename Store<K>::object_ptr Store<K>::get(std::string_view ns, std::string_view name) const {
  if (ns.empty()) return get(name);
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append(1, '/').append(name);
  return get(key);
}

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::list() const {
  std::shared_lock lock(mutex_);
  std::vector<object_ptr> out;
  out.reserve(objects_.size());
  for (const auto& [key, entry] : objects_) out.push_back(entry.object);
  return out;
}

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::list(std::string_view ns) const {
  if (ns.empty()) return list();
  std::shared_lock lock(mutex_);
  return in_namespace(ns);
}

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::list(const LabelSelector& selector) const {
  return list(std::string_view(), selector);
}

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::list(std::string_view ns, const LabelSelector& selector) const {
  auto candidates = list(ns);
  std::erase_if(candidates, [&](const object_ptr& o) { return !selector.matches(o->metadata.labels); });
  return candidates;
}

template <CachedObject K>
std::vector<std::string> Store<K>::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [key, entry] : objects_) out.push_back(key);
  return out;
}

template <CachedObject K>
std::size_t Store<K>::size() const {
  std::shared_lock lock(mutex_);
  return objects_.size();
}

template <CachedObject K>
std::size_t Store<K>::approximate_bytes() const {
  std::shared_lock lock(mutex_);
  return bytes_;
}

template <CachedObject K>
void Store<K>::add_index(std::string name, index_function fn) {
  if (!fn) throw std::invalid_argument("Store::add_index(\"" + name + "\"): empty index function");
  std::unique_lock lock(mutex_);
  Index index;
  index.fn = std::move(fn);
  for (const auto& [key, entry] : objects_) {
    auto values = index.fn(*entry.object);
    for (const auto& v : values) index.values[v].insert(key);
    if (!values.empty()) index.by_key.emplace(key, std::move(values));
  }
  indexes_.insert_or_assign(std::move(name), std::move(index));
}

template <CachedObject K>
bool Store<K>::has_index(std::string_view name) const {
  std::shared_lock lock(mutex_);
  return name == namespace_index || indexes_.find(name) != indexes_.end();
}

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::objects_for(const key_set& keys) const {
  std::vector<object_ptr> out;
  out.reserve(keys.size());
  for (const auto& key : keys)
    if (auto it = objects_.find(key); it != objects_.end()) out.push_back(it->second.object);
  return out;
}

template <CachedObject K>
std::vector<typename Store<K>::object_ptr> Store<K>::by_index(std::string_view name, std::string_view value) const {
  std::shared_lock lock(mutex_);
  auto index = indexes_.find(name);
  if (index == indexes_.end() && name == namespace_index) return in_namespace(value);
  if (index == indexes_.end()) throw std::out_of_range("Store::by_index: no index named \"" + std::string(name) + "\"");
  auto keys = index->second.values.find(value);
  if (keys == index->second.values.end()) return {};
  return objects_for(keys->second);
}

template <CachedObject K>
std::vector<std::string> Store<K>::index_values(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto index = indexes_.find(name);
  if (index == indexes_.end() && name == namespace_index) return namespaces();
  if (index == indexes_.end())
    throw std::out_of_range("Store::index_values: no index named \"" + std::string(name) + "\"");
  std::vector<std::string> out;
  for (const auto& [value, keys] : index->second.values) out.push_back(value);
  return out;
}

template <CachedObject K>
std::vector<std::vector<std::string>> Store<K>::index_values_of(const K& object) const {
  std::vector<std::vector<std::string>> out;
  out.reserve(indexes_.size());
  for (const auto& [name, index] : indexes_) out.push_back(index.fn(object));
  return out;
}

template <CachedObject K>
void Store<K>::index_insert(const std::string& key, std::vector<std::vector<std::string>> values) {
  auto value = values.begin();
  for (auto& [name, index] : indexes_) {
    auto& mine = *value++;
    for (const auto& v : mine) index.values[v].insert(key);
    if (!mine.empty()) index.by_key.insert_or_assign(key, std::move(mine));
  }
}

template <CachedObject K>
void Store<K>::index_erase(const std::string& key) {
  for (auto& [name, index] : indexes_) {
    auto it = index.by_key.find(key);
    if (it == index.by_key.end()) continue;
    for (const auto& v : it->second) {
      auto keys = index.values.find(v);
      if (keys == index.values.end()) continue;
      keys->second.erase(key);
      if (keys->second.empty()) index.values.erase(keys);
    }
    index.by_key.erase(it);
  }
}

template <CachedObject K>
typename Store<K>::object_ptr Store<K>::apply(object_ptr object, std::size_t bytes) {
  if (!object) throw std::invalid_argument("Store::apply: null object");
  std::string key = object_key(object->metadata);
  std::unique_lock lock(mutex_);
  auto values = index_values_of(*object);
  object_ptr previous;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    previous = std::move(it->second.object);
    bytes_ -= it->second.bytes;
    index_erase(key);
    it->second = Entry{std::move(object), bytes};
  } else {
    objects_.emplace(key, Entry{std::move(object), bytes});
  }
  bytes_ += bytes;
  index_insert(key, std::move(values));
  return previous;
}

template <CachedObject K>
typename Store<K>::object_ptr Store<K>::remove(std::string_view key) {
  std::unique_lock lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  object_ptr previous = std::move(it->second.object);
  bytes_ -= it->second.bytes;
  const std::string owned_key = it->first;
  objects_.erase(it);
  index_erase(owned_key);
  return previous;
}

template <CachedObject K>
typename Store<K>::ReplaceResult Store<K>::replace(std::vector<Entry> entries) {
  // The new content and its indexes are built aside (index functions may throw), then
  // swapped in under the lock: readers see either the old or the new state.
  std::map<std::string, Entry, std::less<>> objects;
  for (auto& entry : entries) {
    if (!entry.object) throw std::invalid_argument("Store::replace: null object");
    std::string key = object_key(entry.object->metadata);
    objects.insert_or_assign(std::move(key), std::move(entry));
  }
  std::vector<std::pair<std::string, std::vector<std::vector<std::string>>>> values;
  ReplaceResult result;
  std::unique_lock lock(mutex_);
  values.reserve(objects.size());
  for (const auto& [key, entry] : objects) values.emplace_back(key, index_values_of(*entry.object));

  for (const auto& [key, entry] : objects) {
    auto old = objects_.find(key);
    if (old == objects_.end())
      result.added.push_back(entry.object);
    else if (old->second.object->metadata.resourceVersion != entry.object->metadata.resourceVersion)
      result.updated.emplace_back(old->second.object, entry.object);
  }
  for (const auto& [key, entry] : objects_)
    if (objects.find(key) == objects.end()) result.deleted.push_back(entry.object);

  objects_ = std::move(objects);
  bytes_ = 0;
  for (const auto& [key, entry] : objects_) bytes_ += entry.bytes;
  for (auto& [name, index] : indexes_) {
    index.values.clear();
    index.by_key.clear();
  }
  for (auto& [key, index_values] : values) index_insert(key, std::move(index_values));
  return result;
}

}  // namespace kopp
