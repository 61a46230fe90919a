// Report: the JSON an agent submits when it stops working on a task (API.md "Report JSON").
#pragma once

#include <string>
#include <vector>

#include "util/json.h"
#include "util/result.h"

namespace bosun {

// The proof fields a `done` report must fill with non-empty strings.
inline constexpr const char* kProofFields[] = {"what_was_done", "how_verified",
                                               "verification_result"};

// The proof fields that are missing, empty or not strings (empty when the proof is complete).
std::vector<std::string> missing_proof(const Json& report);

// Checks a submitted report: 400 `invalid_field` for a wrong type (status must be
// done|partial|blocked; summary, notes and blocked_reason strings; changes an array of
// {file, description}; new_files and schema_changes arrays; proof, tech_debt and handoff
// objects of strings; review {verdict: approve|request_changes, comments}), 422 `proof_required` for done
// without a complete proof, 422 `comments_required` for request_changes without comments, 422
// `blocked_reason_required` for blocked without a reason.
Status validate_report(const Json& report);

}  // namespace bosun
