// Log: formats one event twice, for people (stderr) and for machines (JSON lines).
#include "util/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "util/clock.h"

namespace bosun {
namespace {

spdlog::level::level_enum to_spdlog(Log::Level level) {
  switch (level) {
    case Log::Level::kDebug:
      return spdlog::level::debug;
    case Log::Level::kInfo:
      return spdlog::level::info;
    case Log::Level::kWarn:
      return spdlog::level::warn;
    case Log::Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* level_name(Log::Level level) {
  switch (level) {
    case Log::Level::kDebug:
      return "debug";
    case Log::Level::kInfo:
      return "info";
    case Log::Level::kWarn:
      return "warn";
    case Log::Level::kError:
      return "error";
  }
  return "info";
}

// "key=value" pairs for the human line; strings unquoted unless they hold spaces.
std::string human_fields(const Json& fields) {
  std::string out;
  if (!fields.is_object()) return out;
  for (const auto& [key, value] : fields.items()) {
    out += ' ';
    out += key;
    out += '=';
    if (value.is_string()) {
      const auto& s = value.get_ref<const std::string&>();
      if (s.find(' ') == std::string::npos && !s.empty()) {
        out += s;
      } else {
        out += dump_json(value);
      }
    } else {
      out += dump_json(value);
    }
  }
  return out;
}

}  // namespace

Log::Log(std::string process) : process_(std::move(process)) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_st>();
  human_ = std::make_shared<spdlog::logger>("human", sink);
  human_->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  human_->set_level(spdlog::level::trace);
}

Log::~Log() {
  flush();
}

Status Log::open_file(const std::string& path) {
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(path, 16 << 20, 3);
    json_ = std::make_shared<spdlog::logger>("json", sink);
    json_->set_pattern("%v");
    json_->set_level(spdlog::level::trace);
    json_->flush_on(spdlog::level::warn);
    ::chmod(path.c_str(), 0600);  // the sink creates it under the umask; it is the person's
  } catch (const std::exception& e) {
    return internal("log_open_failed", std::string("cannot open log file: ") + e.what());
  }
  return {};
}

void Log::set_stderr_level(Level level) {
  stderr_level_ = level;
}
void Log::set_stderr_enabled(bool enabled) {
  stderr_enabled_ = enabled;
}
void Log::set_file_level(Level level) {
  file_level_ = level;
}

void Log::write(Level level, std::string_view event, const Json& fields) {
  if (stderr_enabled_ && level >= stderr_level_) {
    human_->log(to_spdlog(level), "{} {}{}", process_, event, human_fields(fields));
  }
  if (json_ && level >= file_level_) {
    Json line = Json::object();
    line["at"] = format_time(std::chrono::system_clock::now());
    line["level"] = level_name(level);
    line["process"] = process_;
    line["pid"] = static_cast<int>(::getpid());
    line["event"] = std::string(event);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items())
        line[key] = value;
    }
    json_->log(to_spdlog(level), "{}", dump_json(line));
  }
}

void Log::flush() {
  human_->flush();
  if (json_) json_->flush();
}

}  // namespace bosun
