// RunExport: the log read back in the stretches its timing marks, skipping what was lost.
#include "agent/run_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "agent/run_log.h"
#include "term/screen.h"
#include "term/utf8.h"
#include "util/unique_fd.h"

namespace bosun {

namespace {

// One line of the timing: output from `offset` on arrived at `ms`, or a resize there.
struct Mark {
  uint64_t offset = 0;
  int64_t ms = 0;
  bool resize = false;
  int cols = 0;
  int rows = 0;
};

struct Gap {
  uint64_t from = 0;
  uint64_t to = 0;
  std::string why;
};

template <typename T>
bool read_number(std::string_view& text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc()) return false;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return true;
}

// Marks in the order of the output they belong to; malformed lines (a torn last line after a
// crash) are skipped. The first mark is always at offset 0.
std::vector<Mark> read_timing(const RunRecording& run) {
  std::vector<Mark> marks;
  std::ifstream in(RunLog::timing_path(run.log_path));
  std::string line;
  while (std::getline(in, line)) {
    std::string_view rest = line;
    Mark m;
    if (!read_number(rest, m.offset) || rest.empty() || rest[0] != ' ') continue;
    rest.remove_prefix(1);
    if (!read_number(rest, m.ms)) continue;
    if (rest.rfind(" r ", 0) == 0) {
      rest.remove_prefix(3);
      if (!read_number(rest, m.cols) || rest.empty() || rest[0] != 'x') continue;
      rest.remove_prefix(1);
      if (!read_number(rest, m.rows) || m.cols < 1 || m.rows < 1) continue;
      m.resize = true;
    } else if (!rest.empty()) {
      continue;
    }
    if (m.offset > run.end_offset) continue;
    marks.push_back(m);
  }
  std::stable_sort(marks.begin(), marks.end(),
                   [](const Mark& a, const Mark& b) { return a.offset < b.offset; });
  if (marks.empty() || marks.front().offset != 0) {
    marks.insert(marks.begin(), Mark{0, run.started_at_ms});
  }
  return marks;
}

std::vector<Gap> read_gaps(const Json& gaps) {
  std::vector<Gap> out;
  if (!gaps.is_array()) return out;
  for (const auto& g : gaps) {
    if (!g.is_array() || g.size() < 2 || !g[0].is_number_unsigned() || !g[1].is_number_unsigned())
      continue;
    out.push_back({g[0].get<uint64_t>(), g[1].get<uint64_t>(),
                   g.size() > 2 && g[2].is_string() ? g[2].get<std::string>() : "lost"});
  }
  std::sort(out.begin(), out.end(), [](const Gap& a, const Gap& b) { return a.from < b.from; });
  return out;
}

// Walks the recorded output from 0 to the end in the stretches the marks make: `on_mark` for
// each mark, `on_bytes` for each recorded stretch, `on_gap` for each lost one.
template <typename OnMark, typename OnBytes, typename OnGap>
Status walk(const RunRecording& run, const std::vector<Mark>& marks, OnMark on_mark,
            OnBytes on_bytes, OnGap on_gap) {
  UniqueFd fd(::open(run.log_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && run.end_offset > 0) {
    return internal("log_read_failed", errno_message("cannot read " + run.log_path, errno));
  }
  std::vector<Gap> gaps = read_gaps(run.gaps);
  std::string buf;
  auto emit = [&](uint64_t from, uint64_t to) -> Status {
    constexpr uint64_t kChunk = uint64_t{1} << 20;
    for (uint64_t at = from; at < to;) {
      uint64_t n = std::min(kChunk, to - at);
      buf.resize(n);
      ssize_t got = ::pread(fd.get(), buf.data(), n, static_cast<off_t>(at));
      if (got < 0)
        return internal("log_read_failed", errno_message("cannot read " + run.log_path, errno));
      if (got == 0) return {};  // the file is shorter than recorded: a crash cut it
      buf.resize(static_cast<size_t>(got));
      on_bytes(at, std::string_view(buf));
      at += static_cast<uint64_t>(got);
    }
    return {};
  };
  for (size_t i = 0; i < marks.size(); ++i) {
    on_mark(marks[i]);
    uint64_t from = marks[i].offset;
    uint64_t to = i + 1 < marks.size() ? marks[i + 1].offset : run.end_offset;
    // Recorded stretches of [from, to) between the gaps.
    for (const Gap& g : gaps) {
      if (g.to <= from || g.from >= to) continue;
      if (g.from > from) TRY_OK(emit(from, g.from));
      if (g.from >= from) on_gap(g);
      from = std::max(from, g.to);
    }
    if (from < to) TRY_OK(emit(from, to));
  }
  return {};
}

}  // namespace

Result<std::string> run_text(const RunRecording& run) {
  std::vector<Mark> marks = read_timing(run);
  int cols = run.cols;
  int rows = run.rows;
  if (marks.front().resize) {
    cols = marks.front().cols;
    rows = marks.front().rows;
  }
  term::Screen screen(cols, rows);
  std::string out;
  screen.set_scrollback_callback([&out](const std::string& line) {
    out += line;
    out += '\n';
  });
  TRY_OK(walk(
      run, marks,
      [&](const Mark& m) {
        if (m.resize) screen.resize(m.cols, m.rows);
      },
      [&](uint64_t, std::string_view bytes) { screen.feed(bytes); },
      [&](const Gap& g) {
        screen.feed(fmt::format("\r\n[bosun: {} bytes of output were not recorded: {}]\r\n",
                                g.to - g.from, g.why));
      }));
  std::vector<std::string> last = screen.lines();
  while (!last.empty() && last.back().empty())
    last.pop_back();
  for (const auto& line : last) {
    out += line;
    out += '\n';
  }
  return out;
}

Result<std::string> run_asciicast(const RunRecording& run) {
  std::vector<Mark> marks = read_timing(run);
  int64_t start = std::min(run.started_at_ms, marks.front().ms);
  if (start <= 0) start = marks.front().ms;
  Json header{{"version", 2},
              {"width", marks.front().resize ? marks.front().cols : run.cols},
              {"height", marks.front().resize ? marks.front().rows : run.rows},
              {"timestamp", start / 1000},
              {"title", run.title},
              {"env", Json{{"TERM", "xterm-256color"}}}};
  if (!run.command.empty()) header["command"] = run.command;
  std::string out = dump_json(header) + "\n";
  double last_t = 0;
  double t = 0;
  bool first = true;
  term::Utf8Stream utf8;
  auto event = [&](const char* kind, const std::string& data) {
    out += dump_json(Json::array({t, kind, data}));
    out += '\n';
  };
  TRY_OK(walk(
      run, marks,
      [&](const Mark& m) {
        t = std::max(last_t, static_cast<double>(m.ms - start) / 1000.0);
        last_t = t;
        if (m.resize && !first) event("r", fmt::format("{}x{}", m.cols, m.rows));
        first = false;
      },
      [&](uint64_t offset, std::string_view bytes) {
        auto chunk = utf8.feed(offset, bytes);
        if (!chunk.text.empty()) event("o", chunk.text);
      },
      [&](const Gap& g) {
        event("m", fmt::format("{} bytes of output were not recorded: {}", g.to - g.from, g.why));
      }));
  auto rest = utf8.flush();
  if (!rest.text.empty()) event("o", rest.text);
  return out;
}

}  // namespace bosun
