// Shipping a store to its replica, a NATS JetStream stream
// (docs/replication.md, "Shipping"): what `pa-journal replicate` runs, and
// what the store's background shipper (Options::replication) runs beside the
// app's commits.
//
// Shipping reads the store as a read-only open does (never LOCK, never past
// the durable end), so it may run beside a live writer in another process.
// It keeps what the stream acknowledged in the store (replicas/<STREAM>.json)
// and holds replicas/<STREAM>.lock while it runs: one shipper per stream.
//
// Thread-safety: every function may be called from any thread; a stop token
// may be triggered from another.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "pa_journal/options.h"

namespace pa_journal {

// Ships the store in dir until the stream acknowledged everything up to the
// durable end as it was at the call, or stop was requested (then after the
// batch in flight). Throws ReplicationError (unavailable() when no server
// answered: options.url in the message; or naming the stream and its lock
// while another process ships to it), KeyError naming the key,
// CorruptedDataError for damage in the journal, NotFoundError for no store,
// InvalidInputError for a bad stream name or both a key file and a
// passphrase. What was acknowledged before a throw stays saved.
ReplicationStatus replicate(const std::string& dir, const ReplicationOptions& options,
                            std::stop_token stop = {}, const Options& store_options = {});

// Ships, then ships each new durable commit, until stop is requested. While
// no server answers it tries again with backoff (first_retry_ms doubling up
// to max_retry_ms), reporting the error and the growing lag through
// options.on_status; it throws the other errors replicate throws. Returns
// the last status.
ReplicationStatus follow_replication(const std::string& dir,
                                     const ReplicationOptions& options,
                                     std::stop_token stop,
                                     const Options& store_options = {});

}  // namespace pa_journal
