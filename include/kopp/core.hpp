#pragma once
// kopp core: resource traits and GVK, ObjectMeta, object keys, owner references, merge
// patches, Status, Condition, Time, IntOrString and the JSON mapping of described structs.
// No I/O.

#include <kopp/core/condition.hpp>
#include <kopp/core/int_or_string.hpp>
#include <kopp/core/json.hpp>
#include <kopp/core/json_error.hpp>
#include <kopp/core/merge_patch.hpp>
#include <kopp/core/object_key.hpp>
#include <kopp/core/object_list.hpp>
#include <kopp/core/object_meta.hpp>
#include <kopp/core/owner_reference.hpp>
#include <kopp/core/partial_object_metadata.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/core/status.hpp>
#include <kopp/core/time.hpp>
#include <kopp/core/unknown_fields.hpp>
