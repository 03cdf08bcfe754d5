#include <memcached/crd.hpp>
#include <memcached/types.hpp>

#include <kopp/core/crd.hpp>

namespace memcached {

boost::json::object crd_definition() {
  using kopp::crd::column_type;
  using kopp::crd::PrinterColumn;
  return kopp::crd::custom_resource_definition<v1alpha1::Memcached>()
      .short_names({"mc"})
      .printer_column(PrinterColumn("Size", column_type::integer, ".spec.size").description("Requested pods"))
      .printer_column(PrinterColumn("Ready", column_type::integer, ".status.readyReplicas").description("Ready pods"))
      .printer_column(
          PrinterColumn("Available", column_type::string, ".status.conditions[?(@.type==\"Available\")].status")
              .description("Whether every requested pod is available"))
      .printer_column(PrinterColumn("Age", column_type::date, ".metadata.creationTimestamp"))
      .build();
}

}  // namespace memcached
