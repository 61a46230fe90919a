// Schema: the ordered list of migrations that builds bosun.db.
#pragma once

#include <span>

#include "store/database.h"

namespace bosun {

// Every migration, oldest first. Append only: never edit a released step.
std::span<const Migration> schema_migrations();

}  // namespace bosun
