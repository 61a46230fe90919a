// Fuzz target: an agent profile (YAML with screen rules as regular expressions). Refusals are
// errors naming file:line:col, never crashes; what parses can expand its argv templates.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;  // a profile is a page; std::regex recursion is not the target
  std::string text(reinterpret_cast<const char*>(data), size);
  auto profile = bosun::parse_profile(text, "fuzz.yaml");
  if (profile) {
    (void)bosun::expand_argv(profile->interactive, {{"prompt", "p"}, {"shell", "/bin/sh"}});
  }
  return 0;
}
