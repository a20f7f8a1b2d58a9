// Helpers of the tests of `pa-journal clone` (clone_cli_test,
// clone_property_test): shipping a store to a stream with the library's
// Shipper over NatsLog (as `replicate` would, with its position kept in the
// store), and running the CLI on a source and a clone to compare what both
// print.
#pragma once

#include <string>
#include <vector>

#include "replication/nats_log.h"
#include "replication/sealer.h"
#include "replication/shipper.h"
#include "tests/run_command.h"

namespace pa_journal::testing {

// Shipper options for the store in dir into stream, the position kept in the
// store's replicas/<stream>.json (journal/replica_position.h), so that
// compaction holds what the stream has not acknowledged.
replication::ShipperOptions store_shipper_options(const std::string& dir,
                                                  const std::string& stream,
                                                  const std::string& store_id,
                                                  const std::string& url);

// Ships everything up to the durable end, trying again (up to 150 times,
// 200 ms apart) while the servers are unavailable. Returns the last status.
replication::ShipStatus ship_patiently(replication::NatsLog& log,
                                       const replication::Sealer& sealer,
                                       replication::ShipperOptions options);

// pa-journal with args; the test fails (with both streams) unless it exits
// with want.
CommandResult cli(const std::vector<std::string>& args, int want = 0);

// The stdout of the same command on the store in a and the one in b
// (--dir a / --dir b before args), and both exit codes: what a comparison
// prints when they differ.
struct SideBySide {
  CommandResult a, b;
  bool same() const { return a.exit_code == b.exit_code && a.out == b.out; }
};
SideBySide on_both(const std::string& a, const std::string& b,
                   const std::vector<std::string>& args);

}  // namespace pa_journal::testing
