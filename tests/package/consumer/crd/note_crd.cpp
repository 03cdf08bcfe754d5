#include "note_crd.hpp"

#include <kopp/core/crd.hpp>
#include <kopp/core/object_meta.hpp>

#include <boost/describe/class.hpp>

#include <string>

namespace consumer {

struct NoteSpec {
  std::string text;
};
BOOST_DESCRIBE_STRUCT(NoteSpec, (), (text))

struct Note {
  std::string apiVersion;
  std::string kind;
  kopp::ObjectMeta metadata;
  NoteSpec spec;
};
BOOST_DESCRIBE_STRUCT(Note, (), (apiVersion, kind, metadata, spec))
KOPP_RESOURCE(Note, "example.com", "v1", "Note", "notes", namespaced)

boost::json::object note_crd() { return kopp::crd::custom_resource_definition<Note>().build(); }

}  // namespace consumer
