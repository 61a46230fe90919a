// JsonSchema: a recursive walk over the schema keywords bosun writes.
#include "util/json_schema.h"

#include <fmt/format.h>

namespace bosun {

namespace {

bool has_type(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

std::string where(const std::string& path) {
  return path.empty() ? "the arguments" : "'" + path + "'";
}

Status refuse(const std::string& message) {
  return bad_request("invalid_arguments", message);
}

Status check_at(const Json& schema, const Json& value, const std::string& path);

Status check_object(const Json& schema, const Json& value, const std::string& path) {
  const Json empty = Json::object();
  const Json& props = schema.contains("properties") ? schema["properties"] : empty;
  if (schema.contains("required")) {
    for (const auto& name : schema["required"]) {
      const std::string& field = name.get_ref<const std::string&>();
      if (value.contains(field)) continue;
      if (path.empty()) return refuse(fmt::format("the required field '{}' is missing", field));
      return refuse(fmt::format("'{}' lacks the required field '{}'", path, field));
    }
  }
  for (const auto& [key, item] : value.items()) {
    std::string at = path;
    if (!at.empty()) at += ".";
    at += key;
    const Json* extra =
        schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    if (props.contains(key)) {
      if (auto st = check_at(props[key], item, at); !st) return st;
    } else if (extra && extra->is_object()) {
      // Every other field fits this schema.
      if (auto st = check_at(*extra, item, at); !st) return st;
    } else if (extra && *extra == false) {
      std::string known;
      for (const auto& [name, _] : props.items())
        known += (known.empty() ? "" : ", ") + name;
      return refuse(fmt::format("unknown field '{}' (known: {})", at, known));
    }
  }
  return {};
}

Status check_at(const Json& schema, const Json& value, const std::string& path) {
  if (schema.contains("type")) {
    std::string type = schema["type"];
    if (!has_type(value, type)) {
      bool vowel = type == "integer" || type == "array" || type == "object";
      return refuse(fmt::format("{} must be {} {}", where(path), vowel ? "an" : "a", type));
    }
  }
  if (schema.contains("enum")) {
    bool listed = false;
    std::string names;
    for (const auto& v : schema["enum"]) {
      listed = listed || v == value;
      names += (names.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (!listed) return refuse(fmt::format("{} must be one of: {}", where(path), names));
  }
  if (value.is_string()) {
    size_t size = value.get_ref<const std::string&>().size();
    if (schema.contains("minLength") && size < schema["minLength"].get<size_t>()) {
      return refuse(fmt::format("{} must not be empty", where(path)));
    }
    if (schema.contains("maxLength") && size > schema["maxLength"].get<size_t>()) {
      return refuse(fmt::format("{} must be at most {} bytes", where(path),
                                schema["maxLength"].get<size_t>()));
    }
  }
  if (value.is_number()) {
    double v = value.get<double>();
    if ((schema.contains("minimum") && v < schema["minimum"].get<double>()) ||
        (schema.contains("maximum") && v > schema["maximum"].get<double>())) {
      return refuse(fmt::format("{} must be from {} to {}", where(path),
                                schema.value("minimum", Json("…")).dump(),
                                schema.value("maximum", Json("…")).dump()));
    }
  }
  if (value.is_object()) return check_object(schema, value, path);
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto st = check_at(schema["items"], value[i], fmt::format("{}[{}]", path, i)); !st) {
        return st;
      }
    }
  }
  return {};
}

}  // namespace

Status check_schema(const Json& schema, const Json& value) {
  return check_at(schema, value, "");
}

}  // namespace bosun
