// Fuzz target: a role file (front matter and body). Refusals are errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/role.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)bosun::parse_role(text, "fuzz.md");
  return 0;
}
