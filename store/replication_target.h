// One place that turns "ship the store in DIR to URL, stream S, with key K"
// into a running Shipper (replication/shipper.h), for `pa-journal replicate`
// and the store's background shipper alike (docs/replication.md,
// "Shipping"):
// - the store's id, made if the store has none yet (ensure_store_id, safe
//   beside a live writer);
// - replicas/<S>.lock, held for the target's life: a second shipper to the
//   same stream is refused, naming the stream and the lock;
// - the position, loaded from and saved to replicas/<S>.json (with the URL
//   and the time it was written);
// - the connection (NatsLog) and the sealing of the stream's meta message:
//   a stream that has one is opened with the user's key only if that key
//   opens its check (check_meta_key), a new stream is sealed by the key given
//   (new_sealing), or not at all without one.
//
// Thread-safety: one thread at a time; stop it from another through the
// stop token of ship or follow.
#pragma once

#include <memory>
#include <stop_token>
#include <string>

#include "pa_journal/file_system.h"
#include "pa_journal/replication_options.h"

namespace pa_journal {

class ReplicationTarget {
 public:
  // Makes the store id if missing, takes the stream's lock and validates the
  // URL; connects at the first ship. Throws NotFoundError for no store in
  // dir, InvalidInputError for a bad stream name or two keys,
  // ReplicationError for a bad URL or while another process ships to the
  // stream (naming the stream and its lock), KeyError for a key file that
  // cannot be used.
  ReplicationTarget(const std::string& dir, const ReplicationOptions& options,
                    std::shared_ptr<FileSystem> fs);
  ~ReplicationTarget();
  ReplicationTarget(const ReplicationTarget&) = delete;
  ReplicationTarget& operator=(const ReplicationTarget&) = delete;

  const std::string& store_id() const;

  // Shipper::ship and Shipper::follow, with the target's options.
  ReplicationStatus ship(std::stop_token stop = {});
  ReplicationStatus follow(std::stop_token stop);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pa_journal
