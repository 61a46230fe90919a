// Store: the database plus one accessor per table family; nothing outside store/ sees SQL.
#pragma once

#include <memory>
#include <string>

#include "store/agents.h"
#include "store/database.h"
#include "store/events.h"
#include "store/headless_runs.h"
#include "store/hosts.h"
#include "store/journal.h"
#include "store/messages.h"
#include "store/notifications.h"
#include "store/pipeline_runs.h"
#include "store/projects.h"
#include "store/settings.h"
#include "store/tasks.h"

namespace bosun {

class Store {
 public:
  // Opens bosun.db at `path` and brings its schema up to date.
  static Result<std::unique_ptr<Store>> open(const std::string& path);

  EventStore& events() { return events_; }
  JournalStore& journal() { return journal_; }
  AgentStore& agents() { return agents_; }
  MessageStore& messages() { return messages_; }
  TaskStore& tasks() { return tasks_; }
  SettingsStore& settings() { return settings_; }
  ProjectStore& projects() { return projects_; }
  HeadlessRunStore& headless_runs() { return headless_runs_; }
  PipelineRunStore& pipeline_runs() { return pipeline_runs_; }
  NotificationStore& notifications() { return notifications_; }
  HostStore& hosts() { return hosts_; }
  // This daemon's host on a shared store: the events it appends and the agents it inserts carry
  // it, and its local agents are that host's. Never called on a store one daemon owns.
  void set_host(const std::string& host) {
    events_.set_host(host);
    agents_.set_host(host);
    notifications_.set_host(host);
    pipeline_runs_.set_host(host);
  }
  // This daemon, named `who`, as the store's only one for host `host` (Database::hold_exclusive).
  Status hold_exclusive(const std::string& host, const std::string& who) {
    return db_->hold_exclusive(host, who);
  }

 private:
  // The connection is the store's own: SQL stays in store/. A write transaction with its
  // events is EventBus::Transaction over the store.
  friend class EventBus;
  Database& db() { return *db_; }
  explicit Store(std::unique_ptr<Database> db)
      : db_(std::move(db)), events_(*db_), journal_(*db_), agents_(*db_) {}
  std::unique_ptr<Database> db_;
  EventStore events_;
  JournalStore journal_;
  AgentStore agents_;
  MessageStore messages_{*db_};  // after db_, which it borrows
  TaskStore tasks_{*db_};
  SettingsStore settings_{*db_};
  ProjectStore projects_{*db_};
  HeadlessRunStore headless_runs_{*db_};
  PipelineRunStore pipeline_runs_{*db_};
  NotificationStore notifications_{*db_};
  HostStore hosts_{*db_};
};

}  // namespace bosun
