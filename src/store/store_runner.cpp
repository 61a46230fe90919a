// StoreRunner and StoreWorker: the worker's connection and thread.
#include "store/store_runner.h"

#include <thread>

namespace bosun {

Result<std::unique_ptr<StoreWorker>> StoreWorker::open(const std::string& path, const Clock& clock,
                                                       std::chrono::milliseconds round_trip,
                                                       const std::string& host) {
  TRY(store, Store::open(path));
  if (!host.empty()) (*store)->set_host(host);
  return std::unique_ptr<StoreWorker>(new StoreWorker(std::move(*store), clock, round_trip));
}

StoreWorker::StoreWorker(std::unique_ptr<Store> store, const Clock& clock,
                         std::chrono::milliseconds round_trip)
    : store_(std::move(store)),
      bus_(std::make_unique<EventBus>(store_->events(), clock)),
      round_trip_(round_trip) {}

StoreWorker::~StoreWorker() {
  pool_.join();
}

void StoreWorker::wait_round_trip() const {
  // The worker's own thread: the latency a networked store's round trip adds, nothing else waits.
  if (round_trip_.count() > 0) std::this_thread::sleep_for(round_trip_);
}

std::vector<Event> StoreWorker::read_events() {
  constexpr int64_t kPage = 500;
  std::vector<Event> out;
  for (;;) {
    auto page = store_->events().list_since(read_to_, kPage);
    if (!page || page->empty()) break;
    read_to_ = page->back().seq;
    const bool full = static_cast<int64_t>(page->size()) == kPage;
    out.insert(out.end(), std::make_move_iterator(page->begin()),
               std::make_move_iterator(page->end()));
    if (!full) break;
  }
  return out;
}

Status StoreRunner::use(std::unique_ptr<StoreWorker> worker, boost::asio::io_context& io) {
  TRY_OK(bus_.read_from_log());
  worker->read_from(bus_.last_handed());
  worker_ = std::move(worker);
  io_ = &io;
  return {};
}

void StoreRunner::poll() {
  if (!worker_ || polling_) return;
  polling_ = true;
  auto nothing = [](Store&, EventBus&) { return 0; };
  submit(nothing, [this](int) { polling_ = false; });
}

void StoreRunner::publish(std::string type, std::string subject, Json data) {
  auto work = [type = std::move(type), subject = std::move(subject), data = std::move(data)](
                  Store&, EventBus& bus) -> Status {
    TRY_OK(bus.publish(type, subject, data));
    return {};
  };
  submit(std::move(work), [this](const Status& st) {
    // The loop's bus logs its own failures; a worker's logs nothing from its thread.
    if (!st && worker_ && bus_.log()) {
      bus_.log()->error("event.persist_failed", {{"error", st.error().message}});
    }
  });
}

}  // namespace bosun
