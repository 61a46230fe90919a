// Permission policy: how much an agent CLI may do without asking a person — `ask` (each tool
// call waits, surfaced as waiting_input), `edits` (file edits allowed, commands asked) or
// `unattended` (nothing asked). Each profile maps them to its CLI's flags or settings
// (Profile::permission); `unattended` is refused outside a sandbox.
#pragma once

#include <string>
#include <string_view>

#include "agent/profile.h"
#include "agent/sandbox.h"
#include "util/result.h"

namespace bosun {

// Whether `name` is one of the three policies (ask, edits, unattended).
inline bool is_permission_policy(std::string_view name) {
  return name == "ask" || name == "edits" || name == "unattended";
}

// Whether an agent may run with `policy` ("" is ask): 400 `invalid_permission` for a name
// that is none of the three, `unattended_needs_sandbox` for unattended without a sandbox,
// `permission_unsupported` for a policy the profile has no setting for (or a command given
// as argv, whose flags are the caller's).
Status check_permission(const std::string& policy, const SandboxPolicy& sandbox,
                        const Profile* profile);

// The profile's setting for `policy` ("" is ask); none when it lists no such policy.
const Profile::PermissionMode* permission_mode(const Profile& profile, const std::string& policy);

}  // namespace bosun
