// The replication phase of the benchmark (docs/replication.md): shipping a
// store to a local 3-node NATS JetStream cluster, cloning it back, and the
// lag of a shipper that follows a store committing at a steady rate. Only
// pa-journal-bench runs it (it starts nats-server processes); `pa-journal
// bench` leaves it out. Internal to tools/bench/.
#pragma once

#include "tools/bench/bench.h"

namespace pa_journal::bench {

// Adds the phase's figures to report, or a note saying why it was skipped
// (no nats-server installed, a cluster that did not come up). Throws what
// the store or the shipper throws for anything else.
void replication_phase(const Config& config, Report& report);

}  // namespace pa_journal::bench
