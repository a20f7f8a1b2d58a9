#include "tests/fault_file_system.h"

#include <thread>

#include "pa_journal/errors.h"

namespace pa_journal::testing {
namespace {

size_t index_of(FsOp op) { return static_cast<size_t>(op); }

// A file opened through a FaultFileSystem: every call passes State::before.
class FaultWritableFile : public WritableFile {
 public:
  FaultWritableFile(std::shared_ptr<FaultFileSystem::State> state, std::string path,
                    std::unique_ptr<WritableFile> base)
      : state_(std::move(state)), path_(std::move(path)), base_(std::move(base)) {}

  void append(std::string_view data) override {
    state_->before(FsOp::kAppend, path_);
    base_->append(data);
  }

  // Writes the fill, so it fails like an append.
  void reserve(uint64_t bytes, char fill, bool rarely_synced) override {
    state_->before(FsOp::kAppend, path_);
    base_->reserve(bytes, fill, rarely_synced);
  }

  void sync() override {
    state_->before(FsOp::kSync, path_);
    base_->sync();
  }

  void close() override {
    state_->before(FsOp::kClose, path_);
    base_->close();
  }

 private:
  std::shared_ptr<FaultFileSystem::State> state_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

const char* to_string(FsOp op) {
  switch (op) {
    case FsOp::kAppend:
      return "append";
    case FsOp::kSync:
      return "sync";
    case FsOp::kClose:
      return "close";
    case FsOp::kOpen:
      return "open";
    case FsOp::kRead:
      return "read";
    case FsOp::kRename:
      return "rename";
    case FsOp::kRemove:
      return "remove";
    case FsOp::kTruncate:
      return "truncate";
    case FsOp::kOverwrite:
      return "overwrite";
    case FsOp::kSyncDir:
      return "sync_dir";
    case FsOp::kCreateDir:
      return "create_dir";
    case FsOp::kListDir:
      return "list_dir";
    case FsOp::kLink:
      return "link";
  }
  return "unknown";
}

// --- State ---

void FaultFileSystem::State::before(FsOp op, const std::string& path) {
  std::chrono::microseconds latency;
  uint64_t call = 0;
  bool failing = false;
  Hook hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    PerOp& o = ops_[index_of(op)];
    call = ++o.calls;
    latency = o.latency;
    hook = o.hook;
    if (o.fault.fail_at != 0) {
      ++o.armed_calls;
      failing = o.fault.mode == FaultMode::kPersistent ? o.armed_calls >= o.fault.fail_at
                                                       : o.armed_calls == o.fault.fail_at;
      if (failing && o.fault.mode == FaultMode::kOnce) o.fault = {};
    }
    if (failing) ++o.failures;
  }
  if (hook) hook(path);
  if (latency.count() > 0) std::this_thread::sleep_for(latency);
  if (failing) {
    throw IoError(std::string("injected fault: ") + to_string(op) + " call " +
                  std::to_string(call) + " on " + path);
  }
}

void FaultFileSystem::State::arm(FsOp op, uint64_t nth, FaultMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  PerOp& o = ops_[index_of(op)];
  o.fault = {nth, mode};
  o.armed_calls = 0;
}

void FaultFileSystem::State::heal() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& o : ops_) o.fault = {};
}

void FaultFileSystem::State::set_latency(FsOp op, std::chrono::microseconds latency) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_[index_of(op)].latency = latency;
}

void FaultFileSystem::State::set_hook(FsOp op, Hook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_[index_of(op)].hook = std::move(hook);
}

uint64_t FaultFileSystem::State::count(FsOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_[index_of(op)].calls;
}

uint64_t FaultFileSystem::State::failures(FsOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_[index_of(op)].failures;
}

void FaultFileSystem::State::reset_counts() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& o : ops_) o.calls = o.failures = 0;
}

// --- FaultFileSystem ---

FaultFileSystem::FaultFileSystem(std::shared_ptr<FileSystem> base)
    : base_(std::move(base)), state_(std::make_shared<State>()) {}

void FaultFileSystem::fail(FsOp op, uint64_t nth, FaultMode mode) {
  state_->arm(op, nth, mode);
}

void FaultFileSystem::heal() { state_->heal(); }

void FaultFileSystem::set_latency(FsOp op, std::chrono::microseconds latency) {
  state_->set_latency(op, latency);
}

void FaultFileSystem::set_hook(FsOp op, Hook hook) {
  state_->set_hook(op, std::move(hook));
}

uint64_t FaultFileSystem::count(FsOp op) const { return state_->count(op); }

uint64_t FaultFileSystem::failures(FsOp op) const { return state_->failures(op); }

void FaultFileSystem::reset_counts() { state_->reset_counts(); }

std::unique_ptr<WritableFile> FaultFileSystem::new_writable(const std::string& path) {
  state_->before(FsOp::kOpen, path);
  return std::make_unique<FaultWritableFile>(state_, path, base_->new_writable(path));
}

std::unique_ptr<WritableFile> FaultFileSystem::open_appendable(const std::string& path) {
  state_->before(FsOp::kOpen, path);
  return std::make_unique<FaultWritableFile>(state_, path, base_->open_appendable(path));
}

std::string FaultFileSystem::read_file(const std::string& path) {
  state_->before(FsOp::kRead, path);
  return base_->read_file(path);
}

bool FaultFileSystem::exists(const std::string& path) { return base_->exists(path); }

uint64_t FaultFileSystem::file_size(const std::string& path) {
  return base_->file_size(path);
}

std::vector<std::string> FaultFileSystem::list_dir(const std::string& dir) {
  state_->before(FsOp::kListDir, dir);
  return base_->list_dir(dir);
}

void FaultFileSystem::create_dir(const std::string& dir) {
  state_->before(FsOp::kCreateDir, dir);
  base_->create_dir(dir);
}

void FaultFileSystem::rename(const std::string& from, const std::string& to) {
  state_->before(FsOp::kRename, from + " -> " + to);
  base_->rename(from, to);
}

void FaultFileSystem::link(const std::string& from, const std::string& to) {
  state_->before(FsOp::kLink, from + " -> " + to);
  base_->link(from, to);
}

void FaultFileSystem::remove(const std::string& path) {
  state_->before(FsOp::kRemove, path);
  base_->remove(path);
}

void FaultFileSystem::remove_dir(const std::string& dir) {
  state_->before(FsOp::kRemove, dir);
  base_->remove_dir(dir);
}

std::string FaultFileSystem::real_path(const std::string& path) {
  return base_->real_path(path);
}

void FaultFileSystem::truncate(const std::string& path, uint64_t size) {
  state_->before(FsOp::kTruncate, path);
  base_->truncate(path, size);
}

void FaultFileSystem::overwrite(const std::string& path, uint64_t offset,
                                std::string_view data) {
  state_->before(FsOp::kOverwrite, path);
  base_->overwrite(path, offset, data);
}

void FaultFileSystem::sync_dir(const std::string& dir) {
  state_->before(FsOp::kSyncDir, dir);
  base_->sync_dir(dir);
}

std::unique_ptr<FileLock> FaultFileSystem::lock(const std::string& path) {
  return base_->lock(path);
}

bool FaultFileSystem::lock_held(const std::string& path) {
  return base_->lock_held(path);
}

std::unique_ptr<FileLock> FaultFileSystem::lock_shared(const std::string& path,
                                                       bool exclusive) {
  return base_->lock_shared(path, exclusive);
}

}  // namespace pa_journal::testing
