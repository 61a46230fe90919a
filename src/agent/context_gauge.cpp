// ContextGauge: reading the context window's fill from a transcript or a screen.
#include "agent/context_gauge.h"

#include <algorithm>

#include "util/clock.h"

namespace bosun {

Json to_json(const ContextGauge& g) {
  return Json{{"percent", g.percent},
              {"tokens", g.tokens ? Json(*g.tokens) : Json()},
              {"window", g.window ? Json(*g.window) : Json()},
              {"source", g.source},
              {"at", format_time(from_unix_ms(g.at_ms))}};
}

ContextGauge gauge_of_tokens(int64_t tokens, int64_t window, std::string source, int64_t at_ms) {
  ContextGauge g;
  g.tokens = std::max<int64_t>(tokens, 0);
  g.window = window;
  g.percent = window > 0 ? static_cast<int>(std::min<int64_t>(*g.tokens * 100 / window, 100)) : 0;
  g.source = std::move(source);
  g.at_ms = at_ms;
  return g;
}

std::optional<int64_t> transcript_context_tokens(std::string_view tail) {
  // Newest first: the last complete line with an assistant message's usage (the tail may
  // start inside a line, which then does not parse).
  size_t end = tail.size();
  while (end > 0) {
    size_t nl = tail.rfind('\n', end - 1);
    size_t begin = nl == std::string_view::npos ? 0 : nl + 1;
    std::string_view line = tail.substr(begin, end - begin);
    end = nl == std::string_view::npos ? 0 : nl;
    if (line.find("\"assistant\"") == std::string_view::npos ||
        line.find("\"usage\"") == std::string_view::npos) {
      continue;
    }
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("type", Json()) != "assistant") continue;
    const Json* usage = nullptr;
    if (j.contains("message") && j["message"].is_object() && j["message"].contains("usage")) {
      usage = &j["message"]["usage"];
    }
    if (!usage || !usage->is_object()) continue;
    int64_t sum = 0;
    for (const char* key :
         {"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}) {
      if (usage->contains(key) && (*usage)[key].is_number_integer()) {
        sum += std::max<int64_t>((*usage)[key].get<int64_t>(), 0);
      }
    }
    return sum;
  }
  return std::nullopt;
}

std::optional<int> screen_context_used(const std::vector<std::string>& rows,
                                       std::string_view marker) {
  if (marker.empty()) return std::nullopt;
  for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
    size_t at = row->rfind(marker);
    if (at == std::string::npos || marker[0] != '%') continue;
    size_t begin = at;
    while (begin > 0 && std::isdigit(static_cast<unsigned char>((*row)[begin - 1])))
      --begin;
    if (begin == at || at - begin > 3) continue;
    int left = std::stoi(row->substr(begin, at - begin));
    if (left > 100) continue;
    return 100 - left;
  }
  return std::nullopt;
}

}  // namespace bosun
