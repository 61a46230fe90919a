// HTTP values: responses, target parsing, query readers.
#include "api/http.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "api/http_status.h"

#include <charconv>

namespace bosun {

const std::string* Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

const std::string* Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

Response Response::json(const Json& value, int status) {
  Response r;
  r.status = status;
  r.body = dump_json(value);
  return r;
}

Response Response::error(const Error& error) {
  return json(Json{{"error", {{"code", error.code}, {"message", error.message}}}},
              http_status(error.kind));
}

bool is_json_content(const std::string* content_type) {
  if (!content_type) return false;
  std::string_view v = *content_type;
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ')
    v.remove_suffix(1);
  return v.size() == 16 && std::equal(v.begin(), v.end(), "application/json", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

Result<Target> parse_target(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return bad_request("invalid_target",
                       fmt::format("malformed request target: {}", parsed.error().message()));
  }
  Target out;
  out.path = std::string(parsed->path());
  for (auto param : parsed->params()) {
    out.query[std::string(param.key)] = param.has_value ? std::string(param.value) : "";
  }
  if (out.path.empty()) out.path = "/";
  return out;
}

Result<int64_t> query_int(const Request& request, const std::string& name, int64_t fallback,
                          int64_t min, int64_t max) {
  const std::string* text = request.query_param(name);
  if (!text || text->empty()) return fallback;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    return bad_request("invalid_query",
                       fmt::format("query parameter '{}' must be an integer", name));
  }
  if (value < min || value > max) {
    return bad_request(
        "invalid_query",
        fmt::format("query parameter '{}' must be between {} and {}", name, min, max));
  }
  return value;
}

}  // namespace bosun
