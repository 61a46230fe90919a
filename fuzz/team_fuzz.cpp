// Fuzz target: a team file (bosun.yaml). Refusals are errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "crew/team.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)bosun::parse_team(text, "bosun.yaml");
  return 0;
}
