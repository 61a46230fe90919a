// Store: opens the database with bosun's schema.
#include "store/store.h"

#include "store/schema.h"

namespace bosun {

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  auto db = Database::open(path, schema_migrations());
  if (!db) return tl::unexpected(db.error());
  return std::unique_ptr<Store>(new Store(std::move(*db)));
}

}  // namespace bosun
