// Checkpointer: a PASSIVE checkpoint on its own connection whenever the loop asks for one.
#include "store/checkpointer.h"

#include <sqlite3.h>

namespace bosun {

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(const std::string& path,
                                                          int threshold_pages) {
  sqlite3* raw = nullptr;
  // Used by this thread only: the connection needs no mutex of its own.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return internal("storage_open_failed", "cannot open " + path + " to checkpoint: " + message);
  }
  sqlite3_busy_timeout(raw, 5000);
  // This connection never commits, so it never checkpoints on its own either.
  sqlite3_wal_autocheckpoint(raw, 0);
  return std::unique_ptr<Checkpointer>(new Checkpointer(raw, threshold_pages));
}

Checkpointer::Checkpointer(sqlite3* db, int threshold_pages)
    : db_(db), threshold_(threshold_pages), thread_([this] { run(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close_v2(db_);
}

void Checkpointer::note_commit(int wal_pages) {
  if (wal_pages < threshold_) return;
  {
    std::lock_guard lock(mutex_);
    if (wanted_) return;
    wanted_ = true;
  }
  wake_.notify_one();
}

bool Checkpointer::wait_completed(int64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return finished_.wait_for(lock, timeout, [&] { return completed_.load() >= count; });
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    (rc == SQLITE_OK ? completed_ : failed_).fetch_add(1);
    lock.lock();
    finished_.notify_all();
  }
}

}  // namespace bosun
