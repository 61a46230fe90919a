// Decisions: validated, stored with their event, listed per role.
#include "crew/decisions.h"

#include <fmt/format.h>

namespace bosun {

Result<Json> Decisions::add(const std::string& project, const Json& body, const std::string& author,
                            bool proposal) {
  auto p = store_.projects().find(project);
  if (!p) return tl::unexpected(p.error());
  auto kind = require_string(body, "kind");
  if (!kind) return tl::unexpected(kind.error());
  if (!valid_decision_kind(*kind)) {
    return bad_request("invalid_field",
                       "kind must be one of gotcha, workaround, convention, decision");
  }
  auto txt = require_string(body, "text");
  if (!txt) return tl::unexpected(txt.error());
  if (txt->empty() || txt->size() > 4096) {
    return bad_request("invalid_field", "text must be 1-4096 bytes");
  }
  Decision d;
  d.project_id = p->id;
  d.kind = *kind;
  d.text = *txt;
  d.author = author;
  d.proposed = proposal;
  if (auto it = body.find("roles"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 50) {
      return bad_request("invalid_field", "roles must be a list of role names");
    }
    for (const auto& r : *it) {
      if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>().size() > 64) {
        return bad_request("invalid_field", "roles must be a list of role names");
      }
      d.roles.push_back(r.get<std::string>());
    }
  }
  d.created_at_ms = to_unix_ms(clock_.now());
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto added = store_.projects().add_decision(d);
  if (!added) return tl::unexpected(added.error());
  if (auto ev = tx.publish("decision.created", p->id, to_json(*added)); !ev) {
    return tl::unexpected(ev.error());
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return to_json(*added);
}

Result<Json> Decisions::accept(const std::string& project, int64_t id, const std::string& by) {
  TRY(p, store_.projects().find(project));
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(found, store_.projects().find_decision(p->id, id));
  if (!*found) {
    return not_found("decision_not_found", fmt::format("no decision #{} in {}", id, p->name));
  }
  TRY(changed, store_.projects().accept_decision(p->id, id, by));
  if (!*changed) {
    return conflict("not_a_proposal", fmt::format("decision #{} is not a proposal", id));
  }
  TRY(after, store_.projects().find_decision(p->id, id));
  TRY_OK(tx.publish("decision.accepted", p->id, to_json(**after)));
  TRY_OK(tx.commit());
  return to_json(**after);
}

Result<Json> Decisions::list(const std::string& project, const std::optional<std::string>& role,
                             bool with_proposals) {
  auto p = store_.projects().find(project);
  if (!p) return tl::unexpected(p.error());
  auto list = store_.projects().decisions(p->id, role, with_proposals);
  if (!list) return tl::unexpected(list.error());
  Json out = Json::array();
  for (const auto& d : *list)
    out.push_back(to_json(d));
  return Json{{"project_id", p->id}, {"decisions", out}};
}

}  // namespace bosun
