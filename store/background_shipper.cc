#include "store/background_shipper.h"

#include <exception>

#include "store/replication_target.h"

namespace pa_journal {

BackgroundShipper::BackgroundShipper(std::string dir, ReplicationOptions options,
                                     std::shared_ptr<FileSystem> fs, StorageLog* log)
    : dir_(std::move(dir)), options_(std::move(options)), fs_(std::move(fs)), log_(log) {
  {
    MutexLock lock(&mu_);
    status_.stream = options_.stream;
    status_.running = true;
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

BackgroundShipper::~BackgroundShipper() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

ReplicationStatus BackgroundShipper::status() const {
  MutexLock lock(&mu_);
  return status_;
}

void BackgroundShipper::update(const ReplicationStatus& status) {
  {
    MutexLock lock(&mu_);
    bool was_down = !status_.error.empty();
    if (status.error != status_.error && !status.error.empty() && log_) {
      log_->write("WARN", "replication to stream " + options_.stream +
                              " waits for the servers: " + status.error);
    } else if (was_down && status.error.empty() && log_) {
      log_->write("INFO", "replication to stream " + options_.stream + " goes on");
    }
    status_ = status;
    status_.running = true;
  }
  if (options_.on_status) options_.on_status(status);
}

void BackgroundShipper::fail(const std::string& what) {
  if (log_)
    log_->write("ERROR",
                "replication to stream " + options_.stream + " stopped: " + what);
  MutexLock lock(&mu_);
  status_.error = what;
  status_.retry_in_ms = 0;
  status_.running = false;
}

void BackgroundShipper::run(std::stop_token stop) {
  ReplicationOptions options = options_;
  options.on_status = [this](const ReplicationStatus& s) { update(s); };
  try {
    ReplicationTarget target(dir_, options, fs_);
    ReplicationStatus last = target.follow(stop);
    MutexLock lock(&mu_);
    status_ = last;
    status_.running = false;
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("an unexpected failure, with no description of its own");
  }
}

}  // namespace pa_journal
