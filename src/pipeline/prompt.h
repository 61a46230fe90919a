// Prompt: a step's prompt template filled in, and the report a headless step's final answer
// carries — the JSON object it ends with.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/json.h"

namespace bosun {

// `templ` with each {{name}} (spaces inside the braces allowed) replaced by values[name]; a
// name without a value becomes "". Text that came from values is never expanded again.
std::string render_prompt(std::string_view templ, const std::map<std::string, std::string>& values);

// The report in a step's final answer: the last ```json fenced block that parses as a JSON
// object, else the last balanced {…} object in the text; none when there is neither.
std::optional<Json> extract_report(std::string_view text);

// What a step tells later steps ({{steps.ID.output}}): the report's summary, what was done,
// its notes and, for a review, the verdict and comments.
std::string report_output(const Json& report);

}  // namespace bosun
