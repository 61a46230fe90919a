// Files: whole-file reads and atomic writes with an explicit mode.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.h"

namespace bosun {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes via a temporary file + rename, so readers see the old or the new content, never half.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         mode_t mode = 0644);

// mkdir -p with the given mode for each created directory.
Status make_dirs(const std::filesystem::path& path, mode_t mode = 0700);

}  // namespace bosun
