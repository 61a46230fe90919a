// Small shared helpers: errno text, ids, times, JSON parsing and field readers.
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "util/clock.h"
#include "util/ids.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

std::string errno_message(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

namespace {

void fill_random(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::abort();  // the kernel's CSPRNG is a precondition of the process
    }
    got += static_cast<size_t>(r);
  }
}

}  // namespace

std::string new_id(std::string_view prefix, size_t length) {
  static constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(prefix);
  std::array<unsigned char, 64> bytes{};
  size_t produced = 0;
  while (produced < length) {
    fill_random(bytes.data(), bytes.size());
    for (unsigned char b : bytes) {
      if (produced == length) break;
      if (b >= 252) continue;  // 252 = 7 * 36: reject to stay uniform
      out += kAlphabet[b % kAlphabet.size()];
      ++produced;
    }
  }
  return out;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  fill_random(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw)
    out += fmt::format("{:02x}", c);
  return out;
}

std::string format_time(TimePoint t) {
  auto ms = to_unix_ms(t);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

std::optional<int64_t> parse_time_ms(std::string_view text) {
  size_t i = 0;
  auto digits = [&](size_t n) -> std::optional<int> {
    if (i + n > text.size()) return std::nullopt;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = text[i + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  };
  auto sep = [&](char c) {
    if (i < text.size() && text[i] == c) return ++i, true;
    return false;
  };
  std::tm tm{};
  auto year = digits(4);
  if (!year || !sep('-')) return std::nullopt;
  auto month = digits(2);
  if (!month || !sep('-')) return std::nullopt;
  auto day = digits(2);
  if (!day || !(sep('T') || sep('t') || sep(' '))) return std::nullopt;
  auto hour = digits(2);
  if (!hour || !sep(':')) return std::nullopt;
  auto minute = digits(2);
  if (!minute || !sep(':')) return std::nullopt;
  auto second = digits(2);
  if (!second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  int64_t ms = 0;
  if (sep('.')) {
    size_t start = i;
    int64_t scale = 100;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ms += (text[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (sep('Z') || sep('z')) {
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int sign = text[i++] == '-' ? -1 : 1;
    auto oh = digits(2);
    if (!oh || !sep(':')) return std::nullopt;
    auto om = digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = int64_t{sign} * (int64_t{*oh} * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  std::time_t secs = ::timegm(&tm);
  return (static_cast<int64_t>(secs) - offset_min * 60) * 1000 + ms;
}

int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_ms(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

Result<Json> parse_json(std::string_view text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded()) return value;
  // Parse again with exceptions only to learn where it failed.
  try {
    Json ignored = Json::parse(text);
    (void)ignored;
  } catch (const Json::parse_error& e) {
    return bad_request("invalid_json",
                       fmt::format("malformed JSON at byte {}: {}", e.byte, e.what()));
  } catch (const Json::exception& e) {  // a number too large for a double: out_of_range 406
    return bad_request("invalid_json", fmt::format("malformed JSON: {}", e.what()));
  }
  return bad_request("invalid_json", "malformed JSON");
}

Result<Json> parse_json_object(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return Json::object();
  auto value = parse_json(text);
  if (!value) return value;
  if (!value->is_object()) {
    return bad_request("invalid_json", "the request body must be a JSON object");
  }
  return value;
}

namespace {

tl::unexpected<Error> wrong_type(const char* key, const char* type) {
  return bad_request("invalid_field", fmt::format("field '{}' must be {}", key, type));
}

}  // namespace

Result<std::string> require_string(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return bad_request("missing_field", fmt::format("field '{}' is required", key));
  }
  if (!it->is_string()) return wrong_type(key, "a string");
  return it->get<std::string>();
}

std::string string_field(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::optional<std::string>> optional_string(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return wrong_type(key, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<int64_t>> optional_int(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer()) return wrong_type(key, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<std::optional<bool>> optional_bool(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean()) return wrong_type(key, "a boolean");
  return std::optional<bool>(it->get<bool>());
}

std::string dump_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status only_fields(const Json& body, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const char* a : allowed)
      known = known || key == a;
    if (!known) {
      std::string names;
      for (const char* a : allowed)
        names += fmt::format("{}{}", names.empty() ? "" : ", ", a);
      return bad_request("unknown_field",
                         fmt::format("unknown field '{}'; allowed: {}", key, names));
    }
  }
  return {};
}

}  // namespace bosun
