#pragma once
// Server-side apply as the API server does it (application/apply-patch+yaml, here always
// JSON): the applied configuration of one field manager merged into the live object,
// ownership tracked in metadata.managedFields (fieldsV1), conflicts with fields another
// manager owns reported as 409 unless forced, fields a manager stops applying removed when
// nobody else owns them. Non-apply writes are recorded as "Update" entries so that an
// apply conflicts with them as on the real server.
//
// What this does not model throws PatchError 501 NotImplemented naming it; it never
// silently differs from the real server.

#include <kopp/testing/detail/list_types.hpp>
#include <kopp/testing/detail/patch_error.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace kopp::testing::detail {

struct ApplyOptions {
  ApplyOptions() = default;
  std::string manager;      ///< fieldManager (required for apply)
  bool force = false;       ///< take ownership of conflicting fields
  std::string subresource;  ///< "" for the main resource, "status" or "scale"
  /// The kind has a status subresource: a write to the main resource ignores status, and a
  /// write to "status" changes only status (the API server's reset fields).
  bool status_subresource = false;
  std::string now;  ///< RFC 3339 time written into managedFields entries
};

/// The object after `manager` applied `applied` to `live` (nullptr: the object does not
/// exist and is created from the applied configuration). metadata.managedFields updated.
/// Throws PatchError: 409 Conflict (one StatusCause per conflicting field, naming the field
/// and its manager, as the API server's message does) unless options.force; 400/422 for an
/// invalid applied configuration (no apiVersion/kind, a different apiVersion, managedFields
/// in it, ...); 501 for what is not modelled.
boost::json::value server_side_apply(const boost::json::value* live, const boost::json::value& applied,
                                     const ListTypes& types, const ApplyOptions& options);

/// After a non-apply write (create, update, any other patch) by options.manager: `after`'s
/// managedFields gain (or update) the manager's "Update" entry owning the fields that the
/// write set or changed relative to `before` (nullptr for a create: every field), and other
/// managers lose those fields, as the API server records it.
void record_update(boost::json::value& after, const boost::json::value* before, const ListTypes& types,
                   const ApplyOptions& options);

}  // namespace kopp::testing::detail

#include <kopp/testing/detail/impl/server_side_apply.ipp>
