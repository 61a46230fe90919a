// JsonSchema: each keyword bosun's tool schemas use refuses what it should, naming the field.
#include "util/json_schema.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

const Json kSchema = Json::parse(R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["task"],
  "properties": {
    "task": {"type": "string", "minLength": 1, "maxLength": 8},
    "status": {"type": "string", "enum": ["done", "blocked"]},
    "priority": {"type": "integer", "minimum": 0, "maximum": 4},
    "urgent": {"type": "boolean"},
    "changes": {"type": "array", "items": {
      "type": "object", "required": ["file"], "properties": {"file": {"type": "string"}}}}
  }
})");

std::string refusal(const Json& value) {
  auto st = check_schema(kSchema, value);
  if (st) return "accepted";
  EXPECT_EQ(st.error().code, "invalid_arguments");
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalid);
  return st.error().message;
}

TEST(JsonSchema, AcceptsWhatFits) {
  EXPECT_EQ(refusal({{"task", "t_1"}}), "accepted");
  EXPECT_EQ(refusal({{"task", "t_1"},
                     {"status", "done"},
                     {"priority", 4},
                     {"urgent", false},
                     {"changes", {{{"file", "a.c"}}}}}),
            "accepted");
}

TEST(JsonSchema, RefusesEachKeywordNamingTheField) {
  EXPECT_EQ(refusal(Json::array()), "the arguments must be an object");
  EXPECT_EQ(refusal(Json::object()), "the required field 'task' is missing");
  EXPECT_EQ(refusal({{"task", 5}}), "'task' must be a string");
  EXPECT_EQ(refusal({{"task", ""}}), "'task' must not be empty");
  EXPECT_EQ(refusal({{"task", "t_123456789"}}), "'task' must be at most 8 bytes");
  EXPECT_EQ(refusal({{"task", "t"}, {"status", "finished"}}),
            "'status' must be one of: done, blocked");
  EXPECT_EQ(refusal({{"task", "t"}, {"priority", 9}}), "'priority' must be from 0 to 4");
  EXPECT_EQ(refusal({{"task", "t"}, {"priority", 1.5}}), "'priority' must be an integer");
  EXPECT_EQ(refusal({{"task", "t"}, {"urgent", "yes"}}), "'urgent' must be a boolean");
  EXPECT_EQ(refusal({{"task", "t"}, {"from", "user"}}),
            "unknown field 'from' (known: changes, priority, status, task, urgent)");
  EXPECT_EQ(refusal({{"task", "t"}, {"changes", {{{"file", 3}}}}}),
            "'changes[0].file' must be a string");
  EXPECT_EQ(refusal({{"task", "t"}, {"changes", {Json::object()}}}),
            "'changes[0]' lacks the required field 'file'");
}

TEST(JsonSchema, AdditionalPropertiesGivenAsASchemaCheckEveryOtherField) {
  const Json schema{
      {"type", "object"},
      {"properties",
       {{"handoff", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}}}}};
  EXPECT_TRUE(check_schema(schema, {{"handoff", {{"next", "tests"}, {"state", "green"}}}}));
  auto bad = check_schema(schema, {{"handoff", {{"next", 3}}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "'handoff.next' must be a string");
}

}  // namespace
}  // namespace bosun
