// Prompt: placeholders filled in one pass; the report found at the end of an answer.
#include "pipeline/prompt.h"

#include <vector>

namespace bosun {
namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<Json> object_at(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_object()) return j;
  return std::nullopt;
}

// The end of the balanced object starting at `open` (string literals respected), or npos.
size_t object_end(std::string_view text, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string render_prompt(std::string_view templ,
                          const std::map<std::string, std::string>& values) {
  std::string out;
  size_t at = 0;
  while (at < templ.size()) {
    size_t open = templ.find("{{", at);
    size_t close = open == std::string_view::npos ? open : templ.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(templ.substr(at));
      break;
    }
    out.append(templ.substr(at, open - at));
    auto it = values.find(trim(templ.substr(open + 2, close - open - 2)));
    if (it != values.end()) out.append(it->second);
    at = close + 2;
  }
  return out;
}

std::optional<Json> extract_report(std::string_view text) {
  std::optional<Json> found;
  for (size_t at = text.find("```json"); at != std::string_view::npos;
       at = text.find("```json", at + 7)) {
    size_t body = text.find('\n', at);
    if (body == std::string_view::npos) break;
    size_t end = text.find("```", body);
    if (end == std::string_view::npos) break;
    if (auto j = object_at(text.substr(body + 1, end - body - 1))) found = j;
  }
  if (found) return found;
  // The last top-level object: scan openings from the start, skipping over each object found.
  for (size_t open = text.find('{'); open != std::string_view::npos;) {
    size_t end = object_end(text, open);
    if (end == std::string_view::npos) break;
    if (auto j = object_at(text.substr(open, end - open + 1))) {
      found = j;
      open = text.find('{', end + 1);
    } else {
      open = text.find('{', open + 1);
    }
  }
  return found;
}

std::string report_output(const Json& report) {
  if (!report.is_object()) return {};
  std::vector<std::string> parts;
  if (auto s = field(report, "summary"); !s.empty()) parts.push_back(s);
  if (auto p = report.find("proof"); p != report.end() && p->is_object()) {
    if (auto s = field(*p, "what_was_done"); !s.empty()) parts.push_back(s);
  }
  if (auto s = field(report, "notes"); !s.empty()) parts.push_back(s);
  if (auto r = report.find("review"); r != report.end() && r->is_object()) {
    if (auto s = field(*r, "verdict"); !s.empty()) parts.push_back("Verdict: " + s);
    if (auto s = field(*r, "comments"); !s.empty()) parts.push_back(s);
  }
  if (auto s = field(report, "blocked_reason"); !s.empty()) parts.push_back("Blocked: " + s);
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : "\n") + p;
  return out;
}

}  // namespace bosun
