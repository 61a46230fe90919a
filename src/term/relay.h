// Relay: every connection accepted on one socket forwarded to another address, bytes both ways.
// The daemon serves its API on a unix socket this way for sandboxes without a network, and
// `bosun sandboxed` serves BOSUN_URL's port inside such a sandbox from that socket.
#pragma once

#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "util/result.h"

namespace bosun::term {

// Listens on the unix socket `path` (an old one there is replaced; mode 0600) and forwards
// each connection to `to`. Runs on `io` until it stops.
Status start_unix_to_tcp_relay(boost::asio::io_context& io, const std::string& path,
                               const boost::asio::ip::tcp::endpoint& to);

// Listens on 127.0.0.1:`port` and forwards each connection to the unix socket `to`.
Status start_tcp_to_unix_relay(boost::asio::io_context& io, int port, const std::string& to);

}  // namespace bosun::term
