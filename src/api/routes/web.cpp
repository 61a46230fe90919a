// The dashboard: GET / and its files, served from the assets compiled into the binary.
// Static files need no token (they hold no data); every API route still does.
#include <algorithm>

#include "api/routes/routes.h"
#include "api/web_assets.h"

namespace bosun {
namespace {

// Content-hashed build output may be cached for good; the page itself is revalidated, so a
// new daemon's dashboard is picked up on the next load.
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";
// The page may talk only to its own daemon and may not be framed by another site (it can
// type into agents' terminals). xterm.js styles its rows with <style> elements.
constexpr const char* kPagePolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action "
    "'self'";

constexpr const char* kNotBuilt =
    "<!doctype html><meta charset=utf-8><title>bosun</title>"
    "<p>This bosun was built without its dashboard (<code>-DBOSUN_WEB=OFF</code>); the API is "
    "at <code>/api/v1/</code>.</p>";

const WebAsset* find_asset(std::string_view path) {
  auto assets = web_assets();
  auto it = std::find_if(assets.begin(), assets.end(),
                         [path](const WebAsset& a) { return a.path == path; });
  return it == assets.end() ? nullptr : &*it;
}

// True when an Accept-Encoding header lists gzip (q=0 is not worth parsing for a browser).
bool accepts_gzip(const Request& request) {
  const auto* accept = request.header("accept-encoding");
  return accept && accept->find("gzip") != std::string::npos;
}

Result<Response> serve_asset(const Request& request, std::string_view path) {
  const WebAsset* asset = find_asset(path);
  if (!asset && path == "/index.html") {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = kNotBuilt;
    return r;
  }
  if (!asset) return not_found("file_not_found", "no dashboard file " + std::string(path));
  Response r;
  r.content_type = std::string(asset->content_type);
  bool hashed = path.starts_with("/assets/");
  r.headers.emplace_back("Cache-Control", hashed ? kImmutable : kRevalidate);
  r.headers.emplace_back("ETag", std::string(asset->etag));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (path == "/index.html") r.headers.emplace_back("Content-Security-Policy", kPagePolicy);
  if (!asset->gzip.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (const auto* match = request.header("if-none-match"); match && *match == asset->etag) {
    r.status = 304;
    return r;
  }
  if (!asset->gzip.empty() && accepts_gzip(request)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = std::string(asset->gzip);
  } else {
    r.body = std::string(asset->body);
  }
  return r;
}

Result<Response> get_index(Services&, Request& request) {
  return serve_asset(request, "/index.html");
}

Result<Response> get_file(Services&, Request& request) {
  return serve_asset(request, request.path);
}

}  // namespace

std::vector<Route> web_routes() {
  return {
      {"GET", "/", Access::kPublic, get_index},
      {"GET", "/assets/{file}", Access::kPublic, get_file},
      {"GET", "/favicon.svg", Access::kPublic, get_file},
  };
}

}  // namespace bosun
