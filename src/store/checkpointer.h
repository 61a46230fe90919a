// Checkpointer: copies the write-ahead log back into the database file on a thread of its own.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, with the
// fsyncs of the log and the database file, on the loop; measured, that was the task claim's
// p99 (docs/performance.md). Here the loop's commit only notes the log's size; a second
// connection on this thread runs the checkpoint (PASSIVE: it never waits for, or stops, the
// loop's reads and writes) and the loop goes on. The thread has no queue to drain and posts
// nothing back: its only output is the database file, and a failure is retried at the next
// threshold (the log is the truth until then).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "util/result.h"

struct sqlite3;

namespace bosun {

class Checkpointer {
 public:
  // Opens a connection of its own to the file at `path` and starts the thread; a checkpoint
  // runs whenever a commit leaves the log at `threshold_pages` or more.
  static Result<std::unique_ptr<Checkpointer>> start(const std::string& path, int threshold_pages);
  // Stops and joins the thread (a checkpoint in progress finishes first).
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // From the loop, after each commit, with the log's size in pages: wakes the thread past the
  // threshold. Takes the mutex only to set a flag; never waits for a checkpoint.
  void note_commit(int wal_pages);

  // Checkpoints that completed, and that failed (busy or I/O), for tests and logs.
  int64_t completed() const { return completed_.load(); }
  int64_t failed() const { return failed_.load(); }
  // Waits until `count` checkpoints have completed or `timeout` passes; true when they have.
  bool wait_completed(int64_t count, std::chrono::milliseconds timeout);

 private:
  Checkpointer(sqlite3* db, int threshold_pages);
  void run();

  sqlite3* db_;
  int threshold_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> failed_{0};
  std::thread thread_;
};

}  // namespace bosun
