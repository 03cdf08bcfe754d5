// Prints the Memcached CustomResourceDefinition as YAML:
//   memcached-crd-gen > config/crd/cache.example.com_memcacheds.yaml
#include <memcached/crd.hpp>

#include <kopp/core/crd.hpp>

#include <iostream>

int main() {
  try {
    kopp::crd::print_yaml(std::cout, memcached::crd_definition());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "memcached-crd-gen: " << e.what() << "\n";
    return 1;
  }
}
