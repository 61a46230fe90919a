// Permission policy: the three names, the sandbox rule and the profile's mapping.
#include "agent/permission.h"

namespace bosun {

Status check_permission(const std::string& policy, const SandboxPolicy& sandbox,
                        const Profile* profile) {
  if (policy.empty()) return {};
  if (!is_permission_policy(policy)) {
    return bad_request("invalid_permission",
                       "permission '" + policy + "' is not a policy (ask, edits or unattended)");
  }
  if (policy == "unattended" && !sandbox.enabled()) {
    return bad_request("unattended_needs_sandbox",
                       "permission unattended lets the CLI run any command without asking: run "
                       "it in a sandbox (sandbox: bwrap), or choose ask or edits");
  }
  if (policy == "ask") return {};
  if (profile == nullptr) {
    return bad_request("permission_unsupported",
                       "permission " + policy +
                           " is set through a profile's command; with argv, give the CLI's own "
                           "flags in argv");
  }
  if (permission_mode(*profile, policy) == nullptr) {
    return bad_request("permission_unsupported",
                       "profile " + profile->name + " has no setting for permission " + policy);
  }
  return {};
}

const Profile::PermissionMode* permission_mode(const Profile& profile, const std::string& policy) {
  auto it = profile.permission.find(policy.empty() ? std::string("ask") : policy);
  return it == profile.permission.end() ? nullptr : &it->second;
}

}  // namespace bosun
