// JsonSchema: checks a value against the part of JSON Schema that bosun's own schemas use
// (type, properties, required, additionalProperties: false or a schema, enum, min/maxLength,
// minimum/maximum, items), so a tool's arguments are refused with a message a model can act on.
#pragma once

#include "util/json.h"

namespace bosun {

// 400 `invalid_arguments` naming the first field that does not fit, and why.
Status check_schema(const Json& schema, const Json& value);

}  // namespace bosun
