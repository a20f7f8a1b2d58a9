// The I/O error loop shared by the fault tests: the Nth call of one kind
// fails, for N = 1, 2, ... until the operation under test completes without
// reaching an Nth call, once as a single fault and once as a persistent one.
//
//   uint64_t faults = for_each_nth_fault(FsOp::kSync, FaultMode::kOnce,
//                                        [&](FaultInjection& injection) {
//     auto store = Store::open(dir, options_with(injection.fs()));
//     injection.arm();  // the operation under test starts here
//     bool ok = succeeds_or_reports([&] { store->restore_to(t); });
//     ...
//   });
//
// Each run gets a fresh FaultFileSystem (wrapping the real one). The loop
// stops after the first run in which the armed fault did not fire, or after
// the first run that failed the test (one clear failure, not hundreds).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fault_file_system.h"

namespace pa_journal::testing {

// Every kind of call the seam distinguishes.
std::vector<FsOp> all_fs_ops();

struct FaultCase {
  FsOp op = FsOp::kAppend;
  FaultMode mode = FaultMode::kOnce;
  uint64_t nth = 1;
  // "sync call 3 fails once" or "sync call 3 fails from then on".
  std::string describe() const;
};

// One run of the loop: a fresh FaultFileSystem and the fault it will inject.
class FaultInjection {
 public:
  explicit FaultInjection(FaultCase fault);

  const FaultCase& fault() const { return fault_; }
  const std::shared_ptr<FaultFileSystem>& fs() const { return fs_; }
  // Arms the fault: the nth call of fault().op from now on fails.
  void arm();
  bool fired() const { return fs_->failures(fault_.op) > 0; }
  // Whether a call that was made to fail concerned a path containing needle.
  bool failed_on(std::string_view needle) const;

 private:
  FaultCase fault_;
  std::shared_ptr<FaultFileSystem> fs_;
  // Paths of the calls of fault_.op since arm(), in order.
  std::shared_ptr<std::vector<std::string>> paths_;
};

// Runs run(injection) for N = 1, 2, ... (see the file comment) and returns
// how many runs injected a fault. Fails the test if the fault still fires at
// max_nth.
uint64_t for_each_nth_fault(FsOp op, FaultMode mode,
                            const std::function<void(FaultInjection&)>& run,
                            uint64_t max_nth = 1000);

// Runs op. Returns true if it succeeded, false if it threw a StorageError;
// any other exception fails the test (and returns false).
bool succeeds_or_reports(const std::function<void()>& op);

}  // namespace pa_journal::testing
