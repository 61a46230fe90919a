// YamlJson: scalars by their look (a whole number, true/false, else text), nodes recursively.
#include "util/yaml_json.h"

#include <exception>
#include <string>

namespace bosun {

Json scalar_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  try {
    size_t used = 0;
    long long n = std::stoll(text, &used);
    if (used == text.size()) return Json(n);
  } catch (const std::exception&) {
  }
  if (text == "true") return Json(true);
  if (text == "false") return Json(false);
  return Json(text);
}

Json node_json(const YAML::Node& node) {
  if (node.IsMap()) {
    Json j = Json::object();
    for (const auto& kv : node)
      j[kv.first.Scalar()] = node_json(kv.second);
    return j;
  }
  if (node.IsSequence()) {
    Json j = Json::array();
    for (const auto& item : node)
      j.push_back(node_json(item));
    return j;
  }
  if (node.IsNull()) return Json();
  return scalar_json(node);
}

}  // namespace bosun
