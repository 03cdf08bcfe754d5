#pragma once
// kopp::crd: CustomResourceDefinitions generated from C++ types. The schema of a described
// struct (schema.hpp), field rules checked at compile time (field_rules.hpp), the CRD
// object with names, versions, subresources and printer columns (definition.hpp), and its
// YAML (yaml.hpp). No I/O. See docs/crd.md.

#include <kopp/core/crd/definition.hpp>
#include <kopp/core/crd/field_rules.hpp>
#include <kopp/core/crd/schema.hpp>
#include <kopp/core/crd/yaml.hpp>
