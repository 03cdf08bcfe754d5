#include <crontab/crd.hpp>
#include <crontab/types.hpp>

#include <kopp/core/crd.hpp>

namespace crontab {

boost::json::object custom_resource_definition() {
  using kopp::crd::column_type;
  using kopp::crd::PrinterColumn;
  return kopp::crd::custom_resource_definition<CronTab>()
      .short_names({"ct"})
      .printer_column(PrinterColumn("Schedule", column_type::string, ".spec.cronSpec"))
      .printer_column(PrinterColumn("Suspend", column_type::boolean, ".spec.suspend"))
      .printer_column(PrinterColumn("Last Schedule", column_type::date, ".status.lastScheduleTime"))
      .printer_column(PrinterColumn("Age", column_type::date, ".metadata.creationTimestamp"))
      .build();
}

}  // namespace crontab
