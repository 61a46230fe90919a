// Router: pattern matching, captures, 404/405/426 distinctions.
#include "api/router.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

Result<Response> ok_handler(Services&, Request&) {
  return Response::json(Json::object());
}
Result<WsOpen> ws_handler(Services&, Request&) {
  return WsOpen{};
}

Router make_router() {
  return Router({
      {"GET", "/healthz", Access::kPublic, ok_handler},
      {"GET", "/api/v1/tasks", Access::kUser, ok_handler},
      {"POST", "/api/v1/tasks", Access::kUser, ok_handler},
      {"GET", "/api/v1/tasks/ready", Access::kUser, ok_handler},
      {"GET", "/api/v1/tasks/{id}", Access::kUser, ok_handler},
      {"POST", "/api/v1/tasks/{id}/claim", Access::kAny, ok_handler},
      {"GET", "/api/v1/events", Access::kAny, ok_handler},
      {"GET", "/api/v1/events", Access::kAny, nullptr, nullptr, ws_handler},
  });
}

TEST(Router, MatchesStaticPath) {
  auto router = make_router();
  auto m = router.match("GET", "/healthz", false);
  ASSERT_TRUE(m);
  EXPECT_STREQ(m->route->pattern, "/healthz");
  EXPECT_TRUE(m->params.empty());
}

TEST(Router, CapturesSegments) {
  auto router = make_router();
  auto m = router.match("POST", "/api/v1/tasks/t_ab12cd34/claim", false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params.at("id"), "t_ab12cd34");
}

TEST(Router, EarlierStaticRouteWinsOverCapture) {
  auto router = make_router();
  auto m = router.match("GET", "/api/v1/tasks/ready", false);
  ASSERT_TRUE(m);
  EXPECT_STREQ(m->route->pattern, "/api/v1/tasks/ready");
}

TEST(Router, TrailingAndDoubleSlashesAreIgnored) {
  auto router = make_router();
  EXPECT_TRUE(router.match("GET", "/api/v1/tasks/", false));
  EXPECT_TRUE(router.match("GET", "//api//v1/tasks", false));
}

TEST(Router, UnknownPathIs404) {
  auto router = make_router();
  auto m = router.match("GET", "/api/v1/nope", false);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(m.error().code, "route_not_found");
}

TEST(Router, WrongMethodIs405NamingAllowed) {
  auto router = make_router();
  auto m = router.match("DELETE", "/api/v1/tasks", false);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, ErrorKind::kMethodNotAllowed);
  EXPECT_NE(m.error().message.find("GET"), std::string::npos);
  EXPECT_NE(m.error().message.find("POST"), std::string::npos);
}

TEST(Router, PlainRequestAndUpgradeOnSamePathPickTheirOwnRoute) {
  auto router = make_router();
  auto plain = router.match("GET", "/api/v1/events", false);
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->route->handle, nullptr);
  auto ws = router.match("GET", "/api/v1/events", true);
  ASSERT_TRUE(ws);
  EXPECT_NE(ws->route->websocket, nullptr);
}

TEST(Router, UpgradeOnPlainRouteIsRefused) {
  auto router = make_router();
  auto m = router.match("GET", "/healthz", true);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, "not_websocket");
}

TEST(Router, EmptyCaptureDoesNotMatch) {
  auto router = make_router();
  auto m = router.match("POST", "/api/v1/tasks//claim", false);
  EXPECT_FALSE(m);
}

}  // namespace
}  // namespace bosun
