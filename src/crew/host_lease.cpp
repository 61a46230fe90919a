// HostLease: joining, renewing, and reaping the hosts whose lease ran out.
#include "crew/host_lease.h"

#include <array>
#include <cstdlib>

#include <fmt/format.h>

#include "crew/task_board.h"
#include "util/clock.h"

namespace bosun {

Result<HostRecord> join_host(Store& store, EventBus& bus, const HostRecord& self,
                             int64_t lease_ms) {
  EventBus::Transaction tx(bus, store);
  TRY_OK(tx.begin());
  TRY(before, store.hosts().join(self, lease_ms));
  TRY(now, store.hosts().find(self.name));
  Json data{{"epoch", now->epoch},
            {"address", now->address},
            {"pid", now->pid},
            {"version", now->version}};
  if (*before && (**before).state == "lost") {
    const HostRecord& was = **before;
    data["unreachable_since"] = format_time(from_unix_ms(was.renewed_at_ms));
    std::string lost_at = format_time(from_unix_ms(was.lost_at_ms.value_or(was.lease_until_ms)));
    data["lost_at"] = lost_at;
    data["note"] = fmt::format(
        "host {} was declared lost at {}: its agents were marked lost and their tasks went "
        "back to the board; the agents that survived re-attach now",
        self.name, lost_at);
    TRY_OK(tx.publish("host.returned", self.name, data));
  } else {
    TRY_OK(tx.publish("host.joined", self.name, data));
  }
  TRY_OK(tx.commit());
  return *now;
}

Result<std::optional<LostHost>> reap_host(Store& store, EventBus& bus, const Clock& clock,
                                          const std::string& name) {
  EventBus::Transaction tx(bus, store);
  TRY_OK(tx.begin());
  TRY(declared, store.hosts().declare_lost(name));
  if (!*declared) {
    TRY_OK(tx.commit());
    return std::optional<LostHost>();
  }
  LostHost lost{**declared, "", {}, {}};
  lost.reason = fmt::format("host {} unreachable since {}", name,
                            format_time(from_unix_ms(lost.host.renewed_at_ms)));
  const int64_t now = to_unix_ms(clock.now());
  TaskBoard board(store, bus, clock);
  TRY(agents, store.agents().on_host(name));
  for (AgentRecord& a : *agents) {
    if (a.state != "lost" && a.state != "exited") {
      std::string from = a.state;
      a.state = "lost";
      a.state_source = "host";
      a.state_since_ms = now;
      TRY_OK(store.agents().update(a));
      TRY_OK(tx.publish("agent.lost", a.id,
                        Json{{"name", a.name}, {"reason", lost.reason}, {"host", name}}));
      TRY_OK(tx.publish("agent.state", a.id,
                        Json{{"name", a.name},
                             {"state", "lost"},
                             {"from", from},
                             {"source", "host"},
                             {"since", format_time(from_unix_ms(now))},
                             {"evidence", lost.reason}}));
    }
    lost.agents.push_back(a.name);
    TRY(released, board.release_in(tx, a.id, "supervisor",
                                   fmt::format("{}: agent {} lost", lost.reason, a.name)));
    for (const Task& t : *released)
      lost.tasks.push_back(t.id);
  }
  TRY_OK(tx.publish("host.lost", name,
                    Json{{"reason", lost.reason},
                         {"epoch", lost.host.epoch},
                         {"lost_at", format_time(from_unix_ms(
                                         lost.host.lost_at_ms.value_or(lost.host.lease_until_ms)))},
                         {"agents", lost.agents},
                         {"tasks", lost.tasks}}));
  TRY_OK(tx.commit());
  return std::optional<LostHost>(std::move(lost));
}

struct HostLease::Beat {
  bool kept = true;  // the lease was renewed (false: this host had been declared lost)
  std::optional<HostRecord> rejoined;
  std::vector<LostHost> reaped;
};

HostLease::HostLease(boost::asio::io_context& io, StoreRunner& runner, const Clock& clock, Log& log,
                     HostRecord self, Millis lease, OnReturned on_returned)
    : runner_(runner),
      clock_(clock),
      log_(log),
      self_(std::move(self)),
      lease_(lease),
      on_returned_(std::move(on_returned)),
      timer_(clock.timer(io)) {}

HostLease::~HostLease() {
  lifetime_.end();
  timer_->cancel();
}

void HostLease::start() {
  beat();
}

void HostLease::arm() {
  timer_->wait_until(clock_.steady_now() + lease_ / 3,
                     [this, life = lifetime_.guard()](bool cancelled) {
                       if (!cancelled && life.alive()) beat();
                     });
}

void HostLease::beat() {
  if (beating_) return;
  beating_ = true;
  std::array<double, 1> load{};
  if (::getloadavg(load.data(), 1) != 1) load[0] = 0;
  auto work = [self = self_, lease = lease_.count(), load = load[0], &clock = clock_](
                  Store& store, EventBus& bus) -> Result<Beat> {
    Beat b;
    TRY(kept, store.hosts().renew(self.name, self.epoch, lease, load));
    b.kept = *kept;
    if (!b.kept) {
      TRY(again, join_host(store, bus, self, lease));
      b.rejoined = std::move(*again);
    }
    TRY(expired, store.hosts().expired(self.name));
    for (const auto& name : *expired) {
      TRY(lost, reap_host(store, bus, clock, name));
      if (*lost) b.reaped.push_back(std::move(**lost));
    }
    return b;
  };
  runner_.submit(std::move(work), [this, life = lifetime_.guard()](const Result<Beat>& b) {
    if (!life.alive()) return;
    beating_ = false;
    if (!b) {
      // The database can't be reached: the lease runs on until it can, and may run out.
      log_.warn("host.renew_failed", {{"host", self_.name}, {"error", b.error().message}});
    } else {
      if (b->rejoined) {
        self_.epoch = b->rejoined->epoch;
        log_.warn("host.returned", {{"host", self_.name}, {"epoch", self_.epoch}});
        if (on_returned_) on_returned_();
      }
      for (const auto& lost : b->reaped) {
        log_.warn("host.lost", {{"host", lost.host.name},
                                {"reason", lost.reason},
                                {"agents", lost.agents.size()},
                                {"tasks", lost.tasks.size()}});
      }
    }
    arm();
  });
}

}  // namespace bosun
