// Options of a store: durability, recovery mode, sizes. Plain values; cheap to
// copy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pa_journal/progress.h"
#include "pa_journal/replication_options.h"

namespace pa_journal {

class FileSystem;

// When a commit's bytes reach stable storage relative to its acknowledgement.
enum class Durability {
  // A commit returns after its bytes are fdatasynced. Concurrent committers
  // share one sync (group commit). The default.
  kAlways,
  // Commits return once written to the OS; a background thread syncs every
  // sync_interval_ms. A crash loses at most that window.
  kInterval,
  // Commits return once written to the OS; the OS decides when to sync.
  kNone,
};

// What opening a store does with damaged journal data.
enum class RecoveryMode {
  // The default. A torn final record (an incomplete write at the very end of
  // the newest segment) is cut off and logged; any other damage refuses to
  // open, naming the file, offset and sequence number.
  kTolerateTail,
  // Any damage, a torn tail included, refuses to open.
  kStrict,
  // Stop at the first damage and open the consistent prefix before it. A
  // writable open moves everything after the damage to journal/quarantine/.
  kPointInTime,
  // Skip damaged records, keep every valid one, and report exactly which
  // sequence numbers and bytes were lost.
  kSalvage,
};

std::string_view to_string(Durability d);
std::string_view to_string(RecoveryMode m);
// Parse "always|interval|none"; throws InvalidInputError otherwise.
Durability parse_durability(std::string_view text);
// Parse "tolerate-tail|strict|point-in-time|salvage"; throws InvalidInputError.
RecoveryMode parse_recovery_mode(std::string_view text);

struct Options {
  Durability durability = Durability::kAlways;
  uint32_t sync_interval_ms = 100;  // used by Durability::kInterval; >= 1
  RecoveryMode recovery = RecoveryMode::kTolerateTail;
  uint64_t segment_bytes = 64ull << 20;  // roll to a new segment past this size
  bool read_only = false;  // read-only opens never take LOCK and never write
  // What a writable open does with a directory that holds no store (no
  // journal/): true creates the store (the directory with any missing parent,
  // journal/, LOCK, storage.log; Store::created() then says so); false throws
  // NotFoundError ("no store at DIR") and creates nothing at all, as a
  // read-only open does.
  bool create_if_missing = true;
  // How long a writable open waits for LOCK while another process holds it,
  // trying again every 20 ms, before it throws StoreLockedError naming the
  // holder. 0: refuse at once.
  uint32_t lock_wait_ms = 0;

  // Compaction: a snapshot of every collection, kept in backups/.
  // Snapshots kept; a positive integer at config/backup_count overrides it.
  size_t backup_count = 10;
  // Compact in the background once the journal since the last snapshot has
  // grown by compact_after_percent percent of that snapshot (its JSON bytes,
  // or its documents in records), but by no fewer than compact_after_bytes
  // bytes or compact_after_records records (the floors, which alone decide
  // for a small state), or (if non-zero) this often. Relative to the state,
  // so that a large state is not rewritten after every fixed stretch of
  // journal and a small one's journal does not dwarf it (docs/snapshot-format.md).
  bool auto_compact = true;
  uint32_t compact_after_percent = 10;
  uint64_t compact_after_bytes = 8ull << 20;
  uint64_t compact_after_records = 100000;
  uint32_t compact_interval_ms = 0;
  // Compaction compresses every kept snapshot but the newest with zstd
  // (docs/snapshot-format.md). false leaves the snapshots it writes plain, for
  // a pa-journal from before compression, which takes a .json.zst file for
  // damage; snapshots compressed already stay as they are.
  bool compress_snapshots = true;
  // Group commit under Durability::kAlways; tuning that `pa-journal bench`
  // measures (the threaded commit rate with each on and off, docs/design.md
  // 12). spin_waits: a committer waiting for another's sync yields the CPU for
  // up to 200 us before it sleeps; false (the default, which measured faster):
  // it sleeps at once. linger: a leader waits (yielding, up to half the last
  // sync's time) for as many committers as joined a recent sync; false: it
  // syncs what is queued at once.
  bool spin_waits = false;
  bool linger = true;
  // The background shipper (docs/replication.md, "Shipping"): set, a
  // writable open starts a thread that ships every durable commit to this
  // NATS JetStream stream, as `pa-journal replicate --follow` does, and the
  // store's close stops it (waiting at most for the one request in flight,
  // bounded by its timeout_ms). Its errors never reach the app's commits:
  // they go to storage.log and Store::replication_status(). Unset (the
  // default), or a read-only open: no shipping.
  std::optional<ReplicationOptions> replication;
  // The file-system seam. Null means the real POSIX file system.
  std::shared_ptr<FileSystem> file_system;
  // The commit clock, UTC nanoseconds since the Unix epoch. Null means the
  // system clock. Commit times never go backwards whatever it returns: each
  // is after the one before, so once a commit has the largest time (INT64_MAX,
  // 2262-04-11T23:47:16.854775807Z) later commits throw StorageError.
  std::function<int64_t()> clock_ns;
  // Progress of long work started by a call: the replay of Store::open,
  // replay_store, export_store, verify_store, backup_store, state_at,
  // write_state, Store::compact, Store::import_from, Store::export_to and
  // Store::backup_to. Null: no reports. Contract in progress.h.
  ProgressFn progress;
};

}  // namespace pa_journal
