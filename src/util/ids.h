// Ids: prefixed random identifiers (`ag_`, `t_`, `m_` + 8 characters).
#pragma once

#include <string>
#include <string_view>

namespace bosun {

// Returns prefix + `length` characters from [0-9a-z], drawn from the kernel's CSPRNG.
std::string new_id(std::string_view prefix, size_t length = 8);

// Returns `bytes` random bytes as lowercase hex (tokens).
std::string random_hex(size_t bytes);

}  // namespace bosun
