// Router: segment-wise matching of request paths against the route table.
#include "api/router.h"

#include <fmt/format.h>

namespace bosun {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Router::Router(std::vector<Route> routes) : routes_(std::move(routes)) {
  compiled_.reserve(routes_.size());
  for (const auto& r : routes_) {
    Compiled c;
    for (auto seg : split_path(r.pattern))
      c.segments.emplace_back(seg);
    compiled_.push_back(std::move(c));
  }
}

bool Router::match_segments(const Compiled& pattern, const std::vector<std::string_view>& path,
                            std::map<std::string, std::string>* params) {
  if (pattern.segments.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const auto& seg = pattern.segments[i];
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      if (path[i].empty()) return false;
      if (params) (*params)[seg.substr(1, seg.size() - 2)] = std::string(path[i]);
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

Result<Router::Match> Router::match(std::string_view method, std::string_view path,
                                    bool websocket) const {
  auto parts = split_path(path);
  std::string allowed;
  bool other_kind = false;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!match_segments(compiled_[i], parts, nullptr)) continue;
    if (method == routes_[i].method) {
      if ((routes_[i].websocket != nullptr) != websocket) {
        other_kind = true;
        continue;
      }
      Match m{&routes_[i], {}};
      match_segments(compiled_[i], parts, &m.params);
      return m;
    }
    if (allowed.find(routes_[i].method) == std::string::npos) {
      if (!allowed.empty()) allowed += ", ";
      allowed += routes_[i].method;
    }
  }
  if (other_kind) {
    if (websocket)
      return bad_request("not_websocket", std::string(path) + " is not a WebSocket route");
    return fail(ErrorKind::kUpgradeRequired, "upgrade_required",
                std::string(path) + " needs a WebSocket upgrade");
  }
  if (!allowed.empty()) {
    return fail(ErrorKind::kMethodNotAllowed, "method_not_allowed",
                fmt::format("{} is not allowed on {}; allowed: {}", method, path, allowed));
  }
  return not_found("route_not_found", fmt::format("no route for {} {}", method, path));
}

}  // namespace bosun
