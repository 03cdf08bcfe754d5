// Prints the CronTab CustomResourceDefinition as YAML (config/crd/ holds its output).
#include <crontab/crd.hpp>

#include <kopp/core/crd/yaml.hpp>

#include <exception>
#include <iostream>

int main() {
  try {
    kopp::crd::print_yaml(std::cout, crontab::custom_resource_definition());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "crontab-crd-gen: " << e.what() << "\n";
    return 1;
  }
}
