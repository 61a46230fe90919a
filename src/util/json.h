// JSON helpers: one parse entry point with positioned errors, and typed field readers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace bosun {

using Json = nlohmann::json;

// Parses text as JSON; a syntax error becomes 400 `invalid_json` naming the byte position.
Result<Json> parse_json(std::string_view text);

// Parses a request body that must be a JSON object (an empty body is `{}`).
Result<Json> parse_json_object(std::string_view text);

// Typed readers for fields of a request object: a missing optional field is
// nullopt, a field of the wrong type is 400 `invalid_field` naming it.
Result<std::string> require_string(const Json& obj, const char* key);
Result<std::optional<std::string>> optional_string(const Json& obj, const char* key);
Result<std::optional<int64_t>> optional_int(const Json& obj, const char* key);
Result<std::optional<bool>> optional_bool(const Json& obj, const char* key);
// 400 `unknown_field` naming the first field of `body` not in `allowed`, and the allowed ones.
Status only_fields(const Json& body, std::initializer_list<const char*> allowed);

// The string at `key` of `j`, or "" when `j` has none there (missing, another type, or `j` not
// an object): for reading what bosun itself stored or published.
std::string string_field(const Json& j, const char* key);

// Serializes for the wire: invalid UTF-8 in strings is replaced, never thrown.
std::string dump_json(const Json& value);

}  // namespace bosun
