// The dashboard's files (web/, built by Vite), compiled into the binary by a generated
// source file (web/scripts/embed.mjs, run by the build), so `bosun serve` needs nothing beside it.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace bosun {

struct WebAsset {
  std::string_view path;          // "/index.html", "/assets/index-Ab12.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // "\"<hash of the content>\""
  std::string_view body;          // the file as built
  std::string_view gzip;          // the same, gzip-compressed; empty when that is not smaller
};

// Every embedded file; empty when the build ran without the dashboard (-DBOSUN_WEB=OFF).
std::span<const WebAsset> web_assets();

}  // namespace bosun
