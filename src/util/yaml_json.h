// YamlJson: a YAML node read as JSON, for settings that the API also takes as JSON.
#pragma once

#include <yaml-cpp/yaml.h>

#include "util/json.h"

namespace bosun {

// A scalar as JSON: integer, boolean or string.
Json scalar_json(const YAML::Node& node);

// A whole node as JSON: maps, lists, null, and scalars as scalar_json reads them.
Json node_json(const YAML::Node& node);

}  // namespace bosun
