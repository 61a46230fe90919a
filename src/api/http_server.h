// HttpServer: the listening socket, HTTP/1.1 keep-alive sessions and WebSocket upgrades.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http.h"
#include "util/log.h"

namespace boost::asio {
class io_context;
}

namespace bosun {

class HttpServer {
 public:
  struct Options {
    size_t max_body = 1 << 20;  // larger bodies get 413
    // Paths that take a whole file (a board to import) may send up to max_file_body.
    std::vector<std::string> file_body_paths = {"/api/v1/tasks/import"};
    size_t max_file_body = size_t{64} << 20;
    size_t max_header = size_t{16} * 1024;  // request line + headers; larger get 413
    size_t ws_queue_limit = 8 << 20;        // bytes queued per WebSocket before it is dropped
    size_t ws_max_message = 1 << 20;        // largest WebSocket message a client may send
    std::chrono::seconds idle_timeout{60};  // an idle keep-alive connection is closed
    std::chrono::seconds stop_grace{5};     // how long a graceful stop waits for sessions
    // Open connections beyond this are answered 503 `connection_limit` and closed; 0 sizes it
    // from the descriptor limit (three quarters of it), leaving room for agents and files.
    size_t max_connections = 0;
  };

  HttpServer(boost::asio::io_context& io, HttpHandler& handler, Log& log, Options options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds "HOST:PORT" (port 0 = any free port) and starts accepting. Returns the bound
  // address as "HOST:PORT".
  Result<std::string> listen(const std::string& host_port);

  // Graceful stop: closes the listener, lets in-flight requests finish and write,
  // answers new requests on open connections with 503, closes WebSockets with 1001,
  // then calls `done` (also after `stop_grace` if something hangs).
  void stop(std::function<void()> done);

  size_t connection_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" / "[v6]:PORT"; 400 `invalid_listen` when malformed.
Result<std::pair<std::string, int>> split_host_port(const std::string& host_port);

}  // namespace bosun
