// Log: human-readable lines to stderr and JSON lines to a file, every line with its ids.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/json.h"
#include "util/result.h"

namespace spdlog {
class logger;
}

namespace bosun {

class Log {
 public:
  enum class Level { kDebug, kInfo, kWarn, kError };

  // `process` names the emitting process ("serve", "hold", "cli") in every line.
  explicit Log(std::string process);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Adds a JSON-lines file (rotated at 16 MiB, 3 files kept).
  Status open_file(const std::string& path);
  void set_stderr_level(Level level);
  void set_stderr_enabled(bool enabled);
  void set_file_level(Level level);
  // Whether a line at `level` goes anywhere: lets hot paths skip building fields.
  bool enabled(Level level) const {
    return (stderr_enabled_ && level >= stderr_level_) || (json_ && level >= file_level_);
  }

  // `event` is a dotted name ("http.request"); `fields` holds the ids and values.
  void write(Level level, std::string_view event, const Json& fields = Json::object());
  void debug(std::string_view event, const Json& fields = Json::object()) {
    write(Level::kDebug, event, fields);
  }
  void info(std::string_view event, const Json& fields = Json::object()) {
    write(Level::kInfo, event, fields);
  }
  void warn(std::string_view event, const Json& fields = Json::object()) {
    write(Level::kWarn, event, fields);
  }
  void error(std::string_view event, const Json& fields = Json::object()) {
    write(Level::kError, event, fields);
  }
  void flush();

 private:
  std::string process_;
  std::shared_ptr<spdlog::logger> human_;  // spdlog's API hands loggers out as shared_ptr
  std::shared_ptr<spdlog::logger> json_;
  bool stderr_enabled_ = true;
  Level stderr_level_ = Level::kInfo;
  Level file_level_ = Level::kInfo;
};

}  // namespace bosun
