// `pa-journal replicas [--forget STREAM]`: the store's id and what each
// stream that replicates it acknowledged (docs/replication.md, "What the
// store keeps"); --forget lets go of one, so that compaction no longer keeps
// the journal for it.
#include <iostream>

#include "pa_journal/errors.h"
#include "pa_journal/replicas.h"
#include "tools/cli.h"

namespace pa_journal::cli {

using nlohmann::json;

json snapshots_json(const std::vector<ReplicaSnapshot>& snapshots) {
  json out = json::array();
  for (const ReplicaSnapshot& s : snapshots)
    out.push_back({{"id", s.id}, {"seq", s.seq}});
  return out;
}

json replicas_json(const ReplicasReport& r) {
  json replicas = json::array();
  for (const auto& s : r.replicas) {
    const ReplicaPosition& p = s.position;
    replicas.push_back({{"stream", p.stream},
                        {"url", p.url},
                        {"store_id", p.store_id},
                        {"acked_seq", p.acked_seq},
                        {"stream_seq", p.stream_seq},
                        {"lag_records", s.lag_records},
                        {"snapshots", snapshots_json(p.snapshots)},
                        {"updated", p.updated},
                        {"held_records", s.held_records},
                        {"held_bytes", s.held_bytes}});
  }
  return {{"store_id", r.store_id.empty() ? json() : json(r.store_id)},
          {"last_seq", r.last_seq},
          {"replicas", replicas},
          {"damaged", r.damaged},
          {"strays", r.strays}};
}

void print_replica_lines(const ReplicasReport& r) {
  for (const auto& s : r.replicas) {
    const ReplicaPosition& p = s.position;
    std::cout << "replica      " << p.stream << ": acked seq " << p.acked_seq << " ("
              << s.lag_records << " records behind), " << p.url << ", updated "
              << p.updated << "\n";
    if (s.held_records > 0) {
      std::cout << "held         for replica " << p.stream << ": " << s.held_records
                << " records, " << s.held_bytes << " bytes\n";
    }
  }
  for (const auto& d : r.damaged) std::cout << "damaged      " << d << "\n";
  for (const auto& name : r.strays) {
    std::cout << "stray        " << name << " (no position; not read, left as it is)\n";
  }
}

namespace {

int forget(const Globals& g, const std::string& stream) {
  if (!forget_replica(store_dir(g), stream, read_options(g))) {
    throw NotFoundError("no replica position for the stream " + stream +
                        " (pa-journal replicas lists them)");
  }
  if (g.json) {
    print_json({{"forgot", stream}});
  } else {
    std::cout << "forgot replica " << stream
              << ": compaction no longer keeps the journal for it\n";
  }
  return kExitOk;
}

}  // namespace

int run_replicas(const Globals& g, const std::string& forget_stream) {
  if (!forget_stream.empty()) return forget(g, forget_stream);
  ReplicasReport r = list_replicas(store_dir(g), read_options(g));
  if (g.json) {
    print_json(replicas_json(r));
  } else {
    std::cout << "store id     " << (r.store_id.empty() ? "none yet" : r.store_id)
              << "\n";
    if (r.replicas.empty() && r.damaged.empty()) std::cout << "no replicas\n";
    print_replica_lines(r);
  }
  return r.damaged.empty() ? kExitOk : kExitCorruption;
}

}  // namespace pa_journal::cli
