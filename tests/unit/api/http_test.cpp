// HTTP values: error bodies, target parsing and query readers.
#include "api/http.h"

#include <gtest/gtest.h>

#include "api/http_status.h"

namespace bosun {
namespace {

TEST(Http, ErrorBodyHasCodeAndMessage) {
  auto r = Response::error(Error{ErrorKind::kNotFound, "task_not_found", "no task t_x1y2z3"});
  EXPECT_EQ(r.status, 404);
  auto body = Json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "task_not_found");
  EXPECT_EQ(body["error"]["message"], "no task t_x1y2z3");
}

TEST(Http, EveryErrorKindHasOneStatusThatMapsBack) {
  const std::pair<ErrorKind, int> expected[] = {
      {ErrorKind::kInvalid, 400},          {ErrorKind::kUnauthorized, 401},
      {ErrorKind::kForbidden, 403},        {ErrorKind::kNotFound, 404},
      {ErrorKind::kMethodNotAllowed, 405}, {ErrorKind::kConflict, 409},
      {ErrorKind::kTooLarge, 413},         {ErrorKind::kUnsupportedMedia, 415},
      {ErrorKind::kUnprocessable, 422},
      {ErrorKind::kUpgradeRequired, 426},  {ErrorKind::kInternal, 500},
      {ErrorKind::kUnavailable, 503},      {ErrorKind::kNoSpace, 507}};
  for (const auto& [kind, status] : expected) {
    EXPECT_EQ(http_status(kind), status);
    EXPECT_EQ(error_kind(status), kind) << status;
  }
  EXPECT_EQ(error_kind(418), ErrorKind::kInvalid);
  EXPECT_EQ(error_kind(502), ErrorKind::kInternal);
}

TEST(Http, ParsesPathAndDecodesQuery) {
  auto t = parse_target("/api/v1/journal?q=hello%20world&limit=5&flag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/journal");
  EXPECT_EQ(t->query.at("q"), "hello world");
  EXPECT_EQ(t->query.at("limit"), "5");
  EXPECT_EQ(t->query.at("flag"), "");
}

TEST(Http, MalformedTargetIs400) {
  auto t = parse_target("/a%zz");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::kInvalid);
}

TEST(Http, QueryIntValidatesTypeAndRange) {
  Request r;
  r.query["since"] = "12";
  r.query["limit"] = "abc";
  r.query["big"] = "5000";
  EXPECT_EQ(*query_int(r, "since", 0, 0, 100), 12);
  EXPECT_EQ(*query_int(r, "absent", 7, 0, 100), 7);
  auto bad = query_int(r, "limit", 0, 0, 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "invalid_query");
  EXPECT_FALSE(query_int(r, "big", 0, 0, 1000));
}

TEST(Json, MalformedJsonNamesThePosition) {
  auto v = parse_json_object("{\"a\": 1,, }");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(v.error().code, "invalid_json");
  EXPECT_NE(v.error().message.find("byte 9"), std::string::npos) << v.error().message;
}

TEST(Json, NonObjectBodyIsRefused) {
  auto v = parse_json_object("[1,2]");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "invalid_json");
}

TEST(Json, EmptyBodyIsEmptyObject) {
  auto v = parse_json_object("  ");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->is_object());
}

TEST(Json, FieldReadersRejectWrongTypes) {
  Json obj = {{"name", 5}, {"flag", "yes"}, {"n", 1.5}};
  auto name = require_string(obj, "name");
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().code, "invalid_field");
  EXPECT_NE(name.error().message.find("'name'"), std::string::npos);
  EXPECT_FALSE(optional_bool(obj, "flag"));
  EXPECT_FALSE(optional_int(obj, "n"));
  auto missing = require_string(obj, "absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "missing_field");
  EXPECT_FALSE(optional_string(obj, "absent")->has_value());
}

TEST(Json, DumpReplacesInvalidUtf8) {
  Json v = std::string(
      "a\xff"
      "b");
  EXPECT_EQ(dump_json(v),
            "\"a\xEF\xBF\xBD"
            "b\"");
}

}  // namespace
}  // namespace bosun
