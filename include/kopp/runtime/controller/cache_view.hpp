#pragma once
// CacheView: what a reconcile reads from the cache. It answers from the informers its
// controller declared (the primary kind and every owns<>, watches<> and watches_metadata<>
// kind), which the controller waits for before its first reconcile, so every answer comes
// from a synced cache.
//
//   auto jobs = ctx.cache().by_index<Job>(kopp::controller_uid_index, crontab->metadata.uid);
//   auto pods = ctx.cache().list_metadata<Pod>(ns);       // from watches_metadata<Pod>
//
// Errors: asking for a kind the controller did not declare throws std::logic_error naming
// the builder call to add. (Reading through the InformerFactory instead would start a new
// informer, and the reconcile would read its empty, unsynced store.) by_index() of an index
// no informer of the kind has throws std::logic_error too.
// Caveats: when a kind has several informers (a primary with a label selector and an owns<>
// without), get() answers from the first that has the object and list()/by_index() merge
// their answers, each object once.

#include <kopp/core/object_key.hpp>
#include <kopp/core/partial_object_metadata.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/runtime/cache/informer.hpp>
#include <kopp/runtime/cache/label_selector.hpp>

#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kopp {

class CacheView {
 public:
  CacheView() = default;
  /// `controller` names the controller in messages; `informers` are the ones it declared
  /// and `kinds` the "apiVersion/Kind" each serves (metadata-only informers of several
  /// kinds share one C++ type).
  CacheView(std::string controller, std::vector<std::shared_ptr<InformerBase>> informers,
            std::vector<std::string> kinds)
      : controller_(std::move(controller)), informers_(std::move(informers)), kinds_(std::move(kinds)) {}

  /// The object under `key`, or nullptr.
  template <Resource K>
  std::shared_ptr<const K> get(const ObjectKey& key) const {
    for (const Informer<K>* informer : typed_informers<K>("get"))
      if (auto object = informer->store().get(key)) return object;
    return nullptr;
  }

  /// Objects in namespace `ns` ("" = every namespace) matching `selector`.
  template <Resource K>
  std::vector<std::shared_ptr<const K>> list(std::string_view ns = {},
                                             const LabelSelector& selector = LabelSelector()) const {
    return merged_list<K>(typed_informers<K>("list"), ns, selector);
  }

  /// Objects that index `index` lists under `value` (kopp::controller_uid_index, or one
  /// added with ControllerBuilder::index<K>).
  template <Resource K>
  std::vector<std::shared_ptr<const K>> by_index(std::string_view index, std::string_view value) const {
    std::vector<std::shared_ptr<const K>> out;
    std::set<std::string, std::less<>> seen;
    bool indexed = false;
    for (const Informer<K>* informer : typed_informers<K>("by_index")) {
      if (!informer->store().has_index(index)) continue;
      indexed = true;
      for (auto& object : informer->store().by_index(index, value))
        if (seen.insert(object_key(object->metadata)).second) out.push_back(std::move(object));
    }
    if (!indexed) {
      const std::string kind(resource_traits<K>::kind);
      throw std::logic_error("controller '" + controller_ + "' reads index '" + std::string(index) + "' of " + kind +
                             ", which no informer of that kind has: add .index<" + kind + ">(\"" + std::string(index) +
                             "\", ...) (or .owns<" + kind + ">() for kopp::controller_uid_index) to its builder");
    }
    return out;
  }

  /// The metadata of the Kind object under `key` (from watches_metadata<Kind>), or nullptr.
  template <Resource Kind>
  std::shared_ptr<const PartialObjectMetadata> get_metadata(const ObjectKey& key) const {
    for (const auto* informer : metadata_informers<Kind>("get_metadata"))
      if (auto object = informer->store().get(key)) return object;
    return nullptr;
  }

  /// The metadata of Kind objects in `ns` ("" = every namespace) matching `selector`.
  template <Resource Kind>
  std::vector<std::shared_ptr<const PartialObjectMetadata>> list_metadata(
      std::string_view ns = {}, const LabelSelector& selector = LabelSelector()) const {
    return merged_list<PartialObjectMetadata>(metadata_informers<Kind>("list_metadata"), ns, selector);
  }

 private:
  template <Resource K>
  static std::string kind_of() {
    return api_version<K>() + "/" + std::string(resource_traits<K>::kind);
  }

  template <Resource K>
  std::vector<const Informer<K>*> typed_informers(std::string_view call) const {
    std::vector<const Informer<K>*> out;
    for (const auto& informer : informers_)
      if (const auto* typed = dynamic_cast<const Informer<K>*>(informer.get())) out.push_back(typed);
    if (out.empty()) {
      const std::string kind(resource_traits<K>::kind);
      throw std::logic_error("controller '" + controller_ + "' reads " + kind + " from the cache (" +
                             std::string(call) + ") but did not declare it: add .owns<" + kind + ">() or .watches<" +
                             kind + ">(...) to its builder");
    }
    return out;
  }

  template <Resource Kind>
  std::vector<const Informer<PartialObjectMetadata>*> metadata_informers(std::string_view call) const {
    std::vector<const Informer<PartialObjectMetadata>*> out;
    const std::string wanted = kind_of<Kind>();
    for (std::size_t i = 0; i < informers_.size() && i < kinds_.size(); ++i)
      if (kinds_[i] == wanted)
        if (const auto* typed = dynamic_cast<const Informer<PartialObjectMetadata>*>(informers_[i].get()))
          out.push_back(typed);
    if (out.empty()) {
      const std::string kind(resource_traits<Kind>::kind);
      throw std::logic_error("controller '" + controller_ + "' reads the metadata of " + kind + " from the cache (" +
                             std::string(call) + ") but did not declare it: add .watches_metadata<" + kind +
                             ">(...) to its builder");
    }
    return out;
  }

  template <CachedObject K>
  static std::vector<std::shared_ptr<const K>> merged_list(const std::vector<const Informer<K>*>& informers,
                                                           std::string_view ns, const LabelSelector& selector) {
    std::vector<std::shared_ptr<const K>> out;
    std::set<std::string, std::less<>> seen;
    for (const Informer<K>* informer : informers) {
      auto found = ns.empty() ? informer->store().list(selector) : informer->store().list(ns, selector);
      for (auto& object : found)
        if (seen.insert(object_key(object->metadata)).second) out.push_back(std::move(object));
    }
    return out;
  }

  std::string controller_;
  std::vector<std::shared_ptr<InformerBase>> informers_;
  std::vector<std::string> kinds_;  ///< parallel to informers_
};

}  // namespace kopp
