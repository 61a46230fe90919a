// HostLease: on a store several daemons share, each daemon is a host and holds a lease on its
// agents — its row in `hosts`, renewed every third of the lease, in the database's clock. Every
// host also reaps the others: a host whose lease ran out (its daemon, or its machine, gone) is
// declared lost by exactly one of them, in one transaction with its agents marked lost and
// their tasks back on the board, the reason in their history. A host that returns joins again
// under a new epoch and says what happened meanwhile; its agents, which survived with their
// holders, re-attach.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"

namespace bosun {

// What a reaper did to a lost host.
struct LostHost {
  HostRecord host;
  std::string reason;               // "host h2 unreachable since …"
  std::vector<std::string> agents;  // the names of its agents, now lost
  std::vector<std::string> tasks;   // the tasks they held, back on the board
};

// `self` joins, or joins again: its row with a new epoch and a lease of `lease_ms` from now;
// event host.joined, or host.returned when it had been declared lost (when, since when it was
// unreachable). Returns the row as it now is.
Result<HostRecord> join_host(Store& store, EventBus& bus, const HostRecord& self, int64_t lease_ms);

// Declares host `name` lost if its lease has still run out, with its agents and their tasks;
// events host.lost, agent.lost (with "host") and task.updated. None when it renewed meanwhile
// or another reaper was first.
Result<std::optional<LostHost>> reap_host(Store& store, EventBus& bus, const Clock& clock,
                                          const std::string& name);

class HostLease {
 public:
  // Called on the loop when this host finds it was declared lost while it ran, once it has
  // joined again: its agents' rows say lost, and they are not.
  using OnReturned = std::function<void()>;

  HostLease(boost::asio::io_context& io, StoreRunner& runner, const Clock& clock, Log& log,
            HostRecord self, Millis lease, OnReturned on_returned);
  ~HostLease();
  HostLease(const HostLease&) = delete;
  HostLease& operator=(const HostLease&) = delete;

  // Renews and reaps now, then every third of the lease.
  void start();

 private:
  struct Beat;
  void beat();
  void arm();

  StoreRunner& runner_;
  const Clock& clock_;
  Log& log_;
  HostRecord self_;
  Millis lease_;
  OnReturned on_returned_;
  std::unique_ptr<Timer> timer_;
  bool beating_ = false;  // a beat's store work is under way
  Lifetime lifetime_;
};

}  // namespace bosun
