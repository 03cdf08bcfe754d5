#include <crontab/crd.hpp>
#include <crontab/types.hpp>
#include <crontab/v2beta1.hpp>

#include <kopp/core/crd.hpp>

namespace crontab {

boost::json::object custom_resource_definition() {
  using kopp::crd::column_type;
  using kopp::crd::PrinterColumn;
  // v1 and v2beta1, stored as v1; they convert through the operator's /convert (the Service
  // of config/webhook, its CA injected by cert-manager from config/certmanager's Certificate).
  kopp::crd::ConversionWebhook conversion;
  conversion.service_namespace = "crontab-system";
  conversion.service_name = "crontab-operator-webhook-service";
  const PrinterColumn suspend("Suspend", column_type::boolean, ".spec.suspend");
  const PrinterColumn last_schedule("Last Schedule", column_type::date, ".status.lastScheduleTime");
  const PrinterColumn age("Age", column_type::date, ".metadata.creationTimestamp");
  return kopp::crd::custom_resource_definition<CronTab, v2beta1::CronTab>()
      .storage<CronTab>()
      .conversion_webhook(conversion)
      .annotations({{"cert-manager.io/inject-ca-from", "crontab-system/serving-cert"}})
      .short_names({"ct"})
      .printer_column<CronTab>(PrinterColumn("Schedule", column_type::string, ".spec.cronSpec"))
      .printer_column<CronTab>(suspend)
      .printer_column<CronTab>(last_schedule)
      .printer_column<CronTab>(age)
      .printer_column<v2beta1::CronTab>(PrinterColumn("Minute", column_type::string, ".spec.schedule.minute"))
      .printer_column<v2beta1::CronTab>(PrinterColumn("Hour", column_type::string, ".spec.schedule.hour"))
      .printer_column<v2beta1::CronTab>(suspend)
      .printer_column<v2beta1::CronTab>(last_schedule)
      .printer_column<v2beta1::CronTab>(age)
      .build();
}

}  // namespace crontab
