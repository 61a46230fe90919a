// Fuzz target: a pipeline file, read and checked whole. Refusals are errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto p = bosun::parse_pipeline(text, "fuzz.yaml");
  if (p) (void)bosun::to_json(*p);
  return 0;
}
