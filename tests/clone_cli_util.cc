#include "tests/clone_cli_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "journal/replica_position.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"

namespace pa_journal::testing {

replication::ShipperOptions store_shipper_options(const std::string& dir,
                                                  const std::string& stream,
                                                  const std::string& store_id,
                                                  const std::string& url) {
  replication::ShipperOptions o;
  o.dir = dir;
  o.stream = stream;
  o.store_id = store_id;
  o.load_position = [dir, stream]() -> std::optional<replication::ShipPosition> {
    try {
      ReplicaPosition p = read_replica_position(*posix_file_system(), dir, stream);
      replication::ShipPosition out{p.acked_seq, p.stream_seq, {}};
      for (const auto& s : p.snapshots) out.snapshots.push_back({s.id, s.seq});
      return out;
    } catch (const NotFoundError&) {
      return std::nullopt;
    }
  };
  o.save_position = [dir, stream, store_id, url](const replication::ShipPosition& p) {
    ReplicaPosition out;
    out.stream = stream;
    out.url = url;
    out.store_id = store_id;
    out.acked_seq = p.acked_seq;
    out.stream_seq = p.stream_seq;
    for (const auto& s : p.snapshots) out.snapshots.push_back({s.id, s.seq});
    write_replica_position(*posix_file_system(), dir, out);
  };
  return o;
}

replication::ShipStatus ship_patiently(replication::NatsLog& log,
                                       const replication::Sealer& sealer,
                                       replication::ShipperOptions options) {
  for (int attempt = 1;; ++attempt) {
    try {
      return replication::Shipper(log, sealer, options).ship();
    } catch (const ReplicationError& e) {
      if (!e.unavailable() || attempt == 150) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

CommandResult cli(const std::vector<std::string>& args, int want) {
  CommandResult r = run_pa_journal(args);
  std::string line;
  for (const auto& a : args) line += " " + a;
  EXPECT_EQ(r.exit_code, want) << "pa-journal" << line << "\n" << r.describe();
  return r;
}

SideBySide on_both(const std::string& a, const std::string& b,
                   const std::vector<std::string>& args) {
  std::vector<std::string> with_a{"--dir", a}, with_b{"--dir", b};
  with_a.insert(with_a.end(), args.begin(), args.end());
  with_b.insert(with_b.end(), args.begin(), args.end());
  return {run_pa_journal(with_a), run_pa_journal(with_b)};
}

}  // namespace pa_journal::testing
