// Report: validation of the report JSON.
#include "crew/report.h"

#include <fmt/format.h>

namespace bosun {

namespace {

bool non_empty_string(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() &&
         it->get<std::string>().find_first_not_of(" \t\r\n") != std::string::npos;
}

tl::unexpected<Error> wrong(const std::string& field, const char* what) {
  return bad_request("invalid_field", fmt::format("report field '{}' must be {}", field, what));
}

// Optional field of a given shape; null counts as absent.
Status check_strings_object(const Json& report, const char* key) {
  auto it = report.find(key);
  if (it == report.end() || it->is_null()) return {};
  if (!it->is_object()) return wrong(key, "an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return wrong(std::string(key) + "." + k, "a string");
  }
  return {};
}

}  // namespace

std::vector<std::string> missing_proof(const Json& report) {
  std::vector<std::string> missing;
  auto proof = report.find("proof");
  for (const char* field : kProofFields) {
    if (proof == report.end() || !proof->is_object() || !non_empty_string(*proof, field)) {
      missing.emplace_back(field);
    }
  }
  return missing;
}

Status validate_report(const Json& report) {
  if (!report.is_object()) return bad_request("invalid_json", "a report must be a JSON object");
  auto status = report.find("status");
  if (status == report.end() || status->is_null()) {
    return bad_request("missing_field",
                       "report field 'status' is required (done, partial or blocked)");
  }
  if (!status->is_string()) return wrong("status", "a string: done, partial or blocked");
  std::string s = status->get<std::string>();
  if (s != "done" && s != "partial" && s != "blocked") {
    return bad_request("invalid_field",
                       fmt::format("report status '{}' is not done, partial or blocked", s));
  }
  for (const char* key : {"summary", "notes", "blocked_reason"}) {
    auto it = report.find(key);
    if (it != report.end() && !it->is_null() && !it->is_string()) return wrong(key, "a string");
  }
  for (const char* key : {"changes", "new_files", "schema_changes"}) {
    auto it = report.find(key);
    if (it != report.end() && !it->is_null() && !it->is_array()) return wrong(key, "an array");
  }
  if (auto it = report.find("changes"); it != report.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_object()) return wrong("changes[]", "an object {file, description}");
      for (const char* key : {"file", "description"}) {
        auto f = c.find(key);
        if (f != c.end() && !f->is_null() && !f->is_string()) {
          return wrong(std::string("changes[].") + key, "a string");
        }
      }
    }
  }
  for (const char* key : {"proof", "tech_debt", "handoff"}) {
    if (auto st = check_strings_object(report, key); !st) return st;
  }
  if (auto it = report.find("review"); it != report.end() && !it->is_null()) {
    if (!it->is_object()) return wrong("review", "an object {verdict, comments}");
    auto verdict = it->find("verdict");
    if (verdict == it->end() || !verdict->is_string() ||
        (*verdict != "approve" && *verdict != "request_changes")) {
      return wrong("review.verdict", "approve or request_changes");
    }
    auto comments = it->find("comments");
    if (comments != it->end() && !comments->is_null() && !comments->is_string()) {
      return wrong("review.comments", "a string");
    }
    if (*verdict == "request_changes" && !non_empty_string(*it, "comments")) {
      return unprocessable("comments_required",
                           "a review that requests changes says which in review.comments");
    }
  }
  if (s == "done") {
    auto missing = missing_proof(report);
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing)
        names += (names.empty() ? "" : ", ") + m;
      return unprocessable("proof_required",
                           "a done report needs a proof with what_was_done, how_verified and "
                           "verification_result; missing or empty: " +
                               names);
    }
  }
  if (s == "blocked" && !non_empty_string(report, "blocked_reason")) {
    return unprocessable("blocked_reason_required", "a blocked report needs a blocked_reason");
  }
  return {};
}

}  // namespace bosun
