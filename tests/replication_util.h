// Helpers shared by the shipper and clone tests: a store with a fixed clock,
// a shipper over a MemoryLog with its position kept in memory, and what two
// stores are compared by (state, history, backups).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pa_journal/options.h"
#include "pa_journal/record.h"
#include "replication/clone.h"
#include "replication/shipper.h"
#include "tests/memory_log.h"

namespace pa_journal::testing {

inline constexpr char kStoreId[] = "0123456789abcdef0123456789abcdef";
inline constexpr char kOtherStoreId[] = "fedcba9876543210fedcba9876543210";
inline constexpr char kStream[] = "TEST";

// Thrown by a save that a test makes fail: the process killed before the
// position reached the disk.
struct Killed {};

// The position as the store's position file would keep it.
struct SavedPosition {
  std::optional<replication::ShipPosition> value;
  int saves = 0;
  int kill_at_save = 0;  // the save (1 = first) that throws Killed; 0: none
};

// A store's options for tests: no sync (speed), no automatic compaction,
// a clock that ticks 1 s per call, small segments.
Options test_store_options();

// A contact document of about 200 bytes.
std::string contact(int n, int version = 0);

// Options of a shipper of the store in dir into kStream, position in saved.
replication::ShipperOptions shipper_options(const std::string& dir, SavedPosition& saved,
                                            const std::string& store_id = kStoreId);

// A chooser that hands out sealer (not owned: a copy of a PlainSealer or
// XorSealer with the same key).
replication::SealerChooser choose_plain();
replication::SealerChooser choose_xor(uint64_t key);

// What two stores must agree on.
struct StoreImage {
  Collections state;
  std::vector<Record> records;  // read_records: every record the journal holds
  std::vector<std::pair<std::string, uint64_t>> backups;  // snapshot id, seq
  bool operator==(const StoreImage&) const = default;
};
// The image of the store in dir, opened read-only.
StoreImage image_of(const std::string& dir);

}  // namespace pa_journal::testing
