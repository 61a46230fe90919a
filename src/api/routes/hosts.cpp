// Hosts: GET /api/v1/hosts — the daemons sharing this daemon's store, each with its lease, its
// version, its machine's load and its agents by state (docs/scale.md).
#include <map>

#include "api/routes/routes.h"
#include "api/services.h"

namespace bosun {
namespace {

Result<Response> get_hosts(Services& s, Request&) {
  const std::string& here = s.store.events().host();
  if (here.empty()) {
    // A store one daemon owns: there are no other hosts to list.
    return Response::json(Json{{"shared", false}, {"host", Json()}, {"hosts", Json::array()}});
  }
  TRY(hosts, s.store.hosts().list());
  TRY(now, s.store.hosts().now_ms());
  TRY(agents, s.store.agents().list());
  std::map<std::string, Json> by_host;
  for (const auto& a : *agents) {
    Json& row = by_host[a.host.empty() ? here : a.host];
    if (row.is_null())
      row = Json{{"count", 0}, {"states", Json::object()}, {"names", Json::array()}};
    row["count"] = row["count"].get<int64_t>() + 1;
    row["states"][a.state] = row["states"].value(a.state, 0) + 1;
    row["names"].push_back(a.name);
  }
  Json list = Json::array();
  for (const auto& h : *hosts) {
    Json j = to_json(h);
    j["this"] = h.name == here;
    j["lease_left_ms"] = h.state == "up" ? h.lease_until_ms - *now : 0;
    j["expired"] = h.state == "up" && h.lease_until_ms < *now;
    auto it = by_host.find(h.name);
    j["agents"] = it != by_host.end()
                      ? it->second
                      : Json{{"count", 0}, {"states", Json::object()}, {"names", Json::array()}};
    list.push_back(std::move(j));
  }
  return Response::json(Json{{"shared", true}, {"host", here}, {"hosts", std::move(list)}});
}

}  // namespace

std::vector<Route> host_routes() {
  return {{"GET", "/api/v1/hosts", Access::kAny, get_hosts}};
}

}  // namespace bosun
