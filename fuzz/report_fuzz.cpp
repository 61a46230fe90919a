// Fuzz target: an agent's report JSON. Any bytes: parsed without throwing, validated without
// crashing; a report that passes has the status and fields the contract requires.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crew/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size),
                                 nullptr, false);
  if (j.is_discarded()) return 0;
  (void)bosun::missing_proof(j);
  if (bosun::validate_report(j)) {
    if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) std::abort();
  }
  return 0;
}
