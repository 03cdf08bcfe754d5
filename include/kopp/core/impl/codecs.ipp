#pragma once
// Compiled mode: the JSON codecs of core's described types, compiled once (kopp/src.hpp);
// their headers declare them extern (KOPP_JSON_CODEC_EXTERN) in that mode.

#include <kopp/core/object_meta.hpp>
#include <kopp/core/managed_fields.hpp>
#include <kopp/core/condition.hpp>
#include <kopp/core/status.hpp>
#include <kopp/core/partial_object_metadata.hpp>
#include <kopp/core/json.hpp>

KOPP_JSON_CODEC_INSTANTIATE(kopp::OwnerReference);
KOPP_JSON_CODEC_INSTANTIATE(kopp::ObjectMeta);
KOPP_JSON_CODEC_INSTANTIATE(kopp::ListMeta);
KOPP_JSON_CODEC_INSTANTIATE(kopp::ManagedFieldsEntry);
KOPP_JSON_CODEC_INSTANTIATE(kopp::Condition);
KOPP_JSON_CODEC_INSTANTIATE(kopp::StatusCause);
KOPP_JSON_CODEC_INSTANTIATE(kopp::StatusDetails);
KOPP_JSON_CODEC_INSTANTIATE(kopp::Status);
KOPP_JSON_CODEC_INSTANTIATE(kopp::PartialObjectMetadata);
