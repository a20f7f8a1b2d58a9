#include "tests/fault_loop.h"

#include <gtest/gtest.h>

#include <mutex>

#include "pa_journal/errors.h"

namespace pa_journal::testing {

std::vector<FsOp> all_fs_ops() {
  std::vector<FsOp> ops;
  for (size_t i = 0; i < kFsOpCount; ++i) ops.push_back(static_cast<FsOp>(i));
  return ops;
}

std::string FaultCase::describe() const {
  return std::string(to_string(op)) + " call " + std::to_string(nth) +
         (mode == FaultMode::kOnce ? " fails once" : " fails from then on");
}

FaultInjection::FaultInjection(FaultCase fault)
    : fault_(fault),
      fs_(std::make_shared<FaultFileSystem>()),
      paths_(std::make_shared<std::vector<std::string>>()) {}

void FaultInjection::arm() {
  // The hook runs on the calling thread before the fault decides; a mutex
  // keeps the list whole when a background thread calls too.
  auto mu = std::make_shared<std::mutex>();
  paths_->clear();
  fs_->set_hook(fault_.op, [paths = paths_, mu](const std::string& path) {
    std::lock_guard<std::mutex> lock(*mu);
    paths->push_back(path);
  });
  fs_->fail(fault_.op, fault_.nth, fault_.mode);
}

bool FaultInjection::failed_on(std::string_view needle) const {
  // Calls since arm(): the nth failed, and with kPersistent every later one.
  for (size_t i = fault_.nth - 1; i < paths_->size(); ++i) {
    if ((*paths_)[i].find(needle) != std::string::npos) return true;
    if (fault_.mode == FaultMode::kOnce) break;
  }
  return false;
}

uint64_t for_each_nth_fault(FsOp op, FaultMode mode,
                            const std::function<void(FaultInjection&)>& run,
                            uint64_t max_nth) {
  uint64_t injected = 0;
  for (uint64_t nth = 1;; ++nth) {
    if (nth > max_nth) {
      ADD_FAILURE() << to_string(op) << ": the fault still fires at call " << max_nth;
      return injected;
    }
    FaultInjection injection({op, mode, nth});
    {
      SCOPED_TRACE(injection.fault().describe());
      run(injection);
    }
    if (!injection.fired()) return injected;
    ++injected;
    if (::testing::Test::HasFailure()) return injected;
  }
}

bool succeeds_or_reports(const std::function<void()>& op) {
  try {
    op();
    return true;
  } catch (const StorageError&) {
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a StorageError: " << e.what();
  } catch (...) {
    ADD_FAILURE() << "an exception that is not a std::exception";
  }
  return false;
}

}  // namespace pa_journal::testing
