// Channels: the argv and body of each kind of channel, and what counts as delivered.
#include "notify/channels.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "util/text.h"

namespace bosun {
namespace {

constexpr size_t kMaxBody = 1500;
constexpr size_t kDiscordLimit = 2000;

// Slack reads <…> as links and mentions (<!channel>): text from agents is escaped.
std::string slack_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string plain_text(const NotifyMessage& m, bool markdown) {
  std::string bold = markdown ? "**" : "";
  std::string text = bold + m.title + bold;
  if (!m.body.empty()) text += "\n" + shorten(m.body, kMaxBody);
  for (const auto& item : m.items)
    text += "\n• " + item.title;
  if (!m.link.empty()) text += "\n" + m.link;
  return text;
}

std::vector<std::string> curl_argv(const NotifyChannel& c, const std::string& url, Millis timeout) {
  std::vector<std::string> argv{
      "curl",
      "--silent",
      "--show-error",
      "--proto",
      "=http,https",
      "--max-time",
      fmt::format("{:.3f}", static_cast<double>(timeout.count()) / 1000.0),
      "--request",
      "POST",
      "--header",
      "Content-Type: application/json",
      "--header",
      "User-Agent: bosun"};
  for (const auto& [name, value] : c.headers) {
    argv.emplace_back("--header");
    argv.push_back(fmt::format("{}: {}", name, value));
  }
  for (const char* a :
       {"--data-binary", "@-", "--output", "-", "--write-out", "\n%{http_code}", "--url"}) {
    argv.emplace_back(a);
  }
  argv.push_back(url);
  return argv;
}

}  // namespace

Json to_json(const NotifyMessage& m) {
  Json j{{"source", "bosun"}, {"id", m.id},     {"edge", m.edge}, {"kind", m.kind},
         {"title", m.title},  {"body", m.body}, {"link", m.link}, {"at", m.at}};
  if (!m.items.empty()) {
    Json items = Json::array();
    for (const auto& i : m.items)
      items.push_back(to_json(i));
    j["items"] = items;
  }
  return j;
}

std::pair<std::string, std::string> ntfy_target(const std::string& url) {
  size_t host_end = url.find('/', url.find("//") + 2);
  std::string topic = url.substr(host_end + 1);
  if (size_t q = topic.find_first_of("?#/"); q != std::string::npos) topic.resize(q);
  return {url.substr(0, host_end + 1), topic};
}

Json channel_body(const NotifyChannel& c, const NotifyMessage& m) {
  switch (c.type) {
    case ChannelType::kSlack: {
      std::string text = "*" + slack_escape(m.title) + "*";
      if (!m.body.empty()) text += "\n" + slack_escape(shorten(m.body, kMaxBody));
      for (const auto& item : m.items)
        text += "\n• " + slack_escape(item.title);
      if (!m.link.empty()) text += fmt::format("\n<{}|Open in bosun>", m.link);
      return Json{{"text", text}};
    }
    case ChannelType::kDiscord:
      // No @everyone or role pings from text an agent wrote.
      return Json{{"content", shorten(plain_text(m, true), kDiscordLimit)},
                  {"username", "bosun"},
                  {"allowed_mentions", {{"parse", Json::array()}}}};
    case ChannelType::kNtfy: {
      Json j{{"topic", ntfy_target(c.url).second},
             {"title", m.title},
             {"message", m.body.empty() && m.items.empty() ? m.title : plain_text(m, false)},
             {"tags", Json::array({m.kind})}};
      if (!m.link.empty()) j["click"] = m.link;
      return j;
    }
    case ChannelType::kWebhook:
    case ChannelType::kCommand:
    case ChannelType::kDesktop:
      break;
  }
  return to_json(m);
}

std::string session_bus() {
  if (const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS"); bus && *bus) return bus;
  std::string path = fmt::format("/run/user/{}/bus", ::getuid());
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return "unix:path=" + path;
  return {};
}

Result<ProcessSpec> send_spec(const NotifyChannel& c, const NotifyMessage& m, Millis timeout) {
  ProcessSpec spec;
  spec.timeout = timeout + Millis(2000);  // curl keeps its own deadline; this one is the backstop
  spec.max_output = size_t{64} * 1024;
  switch (c.type) {
    case ChannelType::kWebhook:
    case ChannelType::kSlack:
    case ChannelType::kDiscord:
      spec.argv = curl_argv(c, c.url, timeout);
      spec.input = dump_json(channel_body(c, m));
      break;
    case ChannelType::kNtfy:
      spec.argv = curl_argv(c, ntfy_target(c.url).first, timeout);
      spec.input = dump_json(channel_body(c, m));
      break;
    case ChannelType::kCommand:
      spec.argv = c.run;
      spec.timeout = timeout;
      spec.input = dump_json(to_json(m)) + "\n";
      spec.env = {{"BOSUN_NOTIFY_KIND", m.kind}, {"BOSUN_NOTIFY_TITLE", m.title}};
      break;
    case ChannelType::kDesktop: {
      std::string bus = session_bus();
      if (bus.empty()) {
        return internal("no_session_bus",
                        "no desktop session: DBUS_SESSION_BUS_ADDRESS is unset and there is no "
                        "/run/user/UID/bus");
      }
      std::string body = shorten(m.body, kMaxBody);
      for (const auto& item : m.items)
        body += (body.empty() ? "• " : "\n• ") + item.title;
      spec.argv = {"notify-send", "--app-name=bosun", "--", m.title, body};
      spec.env = {{"DBUS_SESSION_BUS_ADDRESS", bus}};
      spec.timeout = timeout;
      break;
    }
  }
  return spec;
}

std::string send_failure(const NotifyChannel& c, const ProcessResult& r) {
  if (!r.started) {
    if (c.type == ChannelType::kDesktop) return r.error + " (Debian: apt install libnotify-bin)";
    return r.error;
  }
  if (r.timed_out) return fmt::format("timed out after {} ms", r.elapsed.count());
  if (r.cancelled) return "cancelled: the daemon is stopping";
  bool url = c.type != ChannelType::kCommand && c.type != ChannelType::kDesktop;
  if (!r.ok()) {
    std::string err = first_line(r.err, 300);
    if (url && r.exit_code == 28) return "timed out (" + err + ")";
    return err.empty() ? r.summary() : fmt::format("{}: {}", r.summary(), err);
  }
  if (!url) return {};
  size_t nl = r.out.rfind('\n');
  std::string code = nl == std::string::npos ? r.out : r.out.substr(nl + 1);
  std::string body = nl == std::string::npos ? std::string() : r.out.substr(0, nl);
  if (code.size() == 3 && code[0] == '2') return {};
  if (code == "000" || code.empty()) return "no HTTP answer";
  std::string said = first_line(body, 200);
  return said.empty() ? "HTTP " + code : fmt::format("HTTP {}: {}", code, said);
}

}  // namespace bosun
