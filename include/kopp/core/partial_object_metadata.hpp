#pragma once
// kopp::PartialObjectMetadata: an object's apiVersion, kind and metadata without its spec,
// status or data (meta.k8s.io/v1 PartialObjectMetadata). The API server sends objects in
// this form when the request's Accept header asks for it; metadata-only informers cache
// them, which costs a fraction of the memory of whole objects (Secrets, ConfigMaps).
//
// It is not a kopp::Resource (it has no single kind): metadata informers are made for a
// resource, see kopp::ListWatchSource::metadata_of<K>() and InformerFactory::get_metadata<K>().

#include <kopp/core/detail/config.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/unknown_fields.hpp>

#include <boost/describe/class.hpp>

#include <string>
#include <string_view>

namespace kopp {

struct PartialObjectMetadata {
  std::string apiVersion;  ///< "meta.k8s.io/v1"
  std::string kind;        ///< "PartialObjectMetadata"
  ObjectMeta metadata;
  UnknownFields unknown_fields;

  friend bool operator==(const PartialObjectMetadata&, const PartialObjectMetadata&) = default;
};
BOOST_DESCRIBE_STRUCT(PartialObjectMetadata, (), (apiVersion, kind, metadata, unknown_fields))

/// Accept header of a single object or a watch in metadata-only form.
inline constexpr std::string_view partial_object_metadata_accept =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
/// Accept header of a list in metadata-only form.
inline constexpr std::string_view partial_object_metadata_list_accept =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

}  // namespace kopp

#if !KOPP_HEADER_ONLY
// Compiled mode: the JSON codecs are compiled once (core/impl/codecs.ipp).
#include <kopp/core/json.hpp>

KOPP_JSON_CODEC_EXTERN(kopp::PartialObjectMetadata);
#endif
