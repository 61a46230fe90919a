// Auth: token lookup and Origin checks.
#include "api/auth.h"

#include <cctype>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>

namespace bosun {
namespace {

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Value of cookie `name` in a Cookie header, or empty.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view part = header.substr(0, end);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The host part of a Host header: "127.0.0.1:7777" → "127.0.0.1", "[::1]:7777" → "::1".
std::string_view host_part(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? std::string_view() : host.substr(1, close - 1);
  }
  return host.substr(0, host.find(':'));
}

}  // namespace

Principal Auth::from_token(std::string_view token) const {
  if (token.empty()) return {};
  if (equal_constant_time(token, user_token_)) return Principal{Principal::Kind::kUser, ""};
  auto it = agent_tokens_.find(std::string(token));
  if (it != agent_tokens_.end()) return Principal{Principal::Kind::kAgent, it->second};
  return {};
}

// A relayed request names the host that relays it, never this one, and carries the secret.
Principal Auth::from_cluster(const Request& request) const {
  const auto* via = request.header("bosun-via");
  const auto* token = request.header("bosun-cluster-token");
  if (cluster_secret_.empty() || !via || !token || via->empty() || *via == self_) return {};
  if (!equal_constant_time(*token, cluster_secret_)) return {};
  Principal p{Principal::Kind::kUser, ""};
  p.via = *via;
  return p;
}

Principal Auth::identify(const Request& request, bool allow_query_token) const {
  if (request.header("bosun-cluster-token")) return from_cluster(request);
  if (const auto* h = request.header("authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
      return from_token(v.substr(7));
    }
    return {};
  }
  if (const auto* c = request.header("cookie")) {
    auto p = from_token(cookie_value(*c, kAuthCookie));
    p.by_cookie = true;
    if (p.kind != Principal::Kind::kNone) return p;
  }
  if (allow_query_token) {
    if (const auto* t = request.query_param("token")) return from_token(*t);
  }
  return {};
}

void Auth::set_listen_address(const std::string& host, int port) {
  origins_.clear();
  auto add = [&](const std::string& h) {
    origins_.push_back(fmt::format("http://{}:{}", h, port));
  };
  add(host.find(':') != std::string::npos ? "[" + host + "]" : host);
  if (host == "127.0.0.1" || host == "::1" || host == "localhost") {
    add("127.0.0.1");
    add("localhost");
    add("[::1]");
  }
  for (const auto& name : host_names_)
    add(name);
}

bool Auth::same_origin(const Request& request) const {
  if (request.header("origin")) return origin_allowed(request);
  const auto* referer = request.header("referer");
  if (!referer) return false;
  for (const auto& o : origins_) {
    if (*referer == o || referer->rfind(o + "/", 0) == 0) return true;
  }
  return false;
}

bool Auth::host_allowed(const Request& request) const {
  const auto* header = request.header("host");
  if (!header) return true;  // HTTP/1.0 clients; every browser sends Host
  std::string_view host = host_part(*header);
  if (host.empty()) return false;
  if (equal_ignoring_case(host, "localhost")) return true;
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(std::string(host), ec);
  if (!ec) return true;  // an address: a page can only be served from it, not rebound to it
  for (const auto& name : host_names_) {
    if (equal_ignoring_case(host, name)) return true;
  }
  return false;
}

bool Auth::origin_allowed(const Request& request) const {
  const auto* origin = request.header("origin");
  if (!origin) return true;
  for (const auto& o : origins_) {
    if (*origin == o) return true;
  }
  return false;
}

bool Auth::is_user_token(std::string_view token) const {
  return equal_constant_time(token, user_token_);
}

std::string Auth::login_cookie() const {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", kAuthCookie, user_token_);
}

void Auth::add_agent_token(const std::string& token, const std::string& agent_id) {
  agent_tokens_[token] = agent_id;
}

void Auth::remove_agent_token(const std::string& token) {
  agent_tokens_.erase(token);
}

}  // namespace bosun
