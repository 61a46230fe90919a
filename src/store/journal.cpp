// Journal: rows of the journal table.
#include "store/journal.h"

#include "util/clock.h"

namespace bosun {

Json to_json(const JournalEntry& entry) {
  return Json{{"id", entry.id},
              {"at", format_time(from_unix_ms(entry.at_ms))},
              {"kind", entry.kind},
              {"text", entry.text},
              {"author", entry.author}};
}

Status JournalStore::insert(const JournalEntry& entry) {
  auto stmt = db_.prepare("INSERT INTO journal(id, at, kind, text, author) VALUES(?,?,?,?,?)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, entry.id).bind(2, entry.at_ms).bind(3, entry.kind).bind(4, entry.text);
  stmt->bind(5, entry.author);
  return stmt->run();
}

Result<std::vector<JournalEntry>> JournalStore::list(const JournalQuery& query) {
  auto stmt = db_.prepare(
      "SELECT id, at, kind, text, author FROM journal"
      " WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)"
      "   AND (?3 IS NULL OR instr(text, ?3) > 0)"
      " ORDER BY at DESC, rowid DESC LIMIT ?4");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, query.from_ms).bind(2, query.to_ms).bind(3, query.text).bind(4, query.limit);
  std::vector<JournalEntry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(JournalEntry{stmt->get_text(0), stmt->get_int(1), stmt->get_text(2),
                               stmt->get_text(3), stmt->get_text(4)});
  }
  return out;
}

Result<int64_t> JournalStore::count() {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM journal");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

}  // namespace bosun
