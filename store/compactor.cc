#include "store/compactor.h"

#include <chrono>

#include "journal/journal_reader.h"
#include "pa_journal/errors.h"
#include "snapshot/catalogue.h"

namespace pa_journal {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

}  // namespace

Compactor::Compactor(std::shared_ptr<FileSystem> fs, std::string store_dir,
                     const Options& options, JournalWriter* writer, StorageLog* log,
                     CaptureFn capture, uint64_t last_snapshot_seq)
    : fs_(std::move(fs)),
      dir_(std::move(store_dir)),
      options_(options),
      writer_(writer),
      log_(log),
      capture_(std::move(capture)),
      last_snapshot_seq_(last_snapshot_seq) {
  if (options_.auto_compact) thread_ = std::thread([this] { background_loop(); });
}

Compactor::~Compactor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CompactionResult Compactor::compact() {
  std::lock_guard<std::mutex> lock(compaction_mu_);
  {
    std::lock_guard<std::mutex> counters(mu_);
    bytes_since_ = records_since_ = 0;
    wanted_ = false;
  }
  return compact_locked();
}

CompactionResult Compactor::compact_locked() {
  auto started = std::chrono::steady_clock::now();
  Capture capture = capture_();
  CompactionResult result;
  if (capture.seq == 0 || capture.seq == last_snapshot_seq_) return result;
  writer_->wait_durable(capture.seq);  // step 1
  writer_->sync();
  const std::string backups = dir_ + "/backups";
  SnapshotInfo info =
      write_snapshot(*fs_, backups, capture.collections, capture.seq, capture.time_ns);
  last_snapshot_seq_ = capture.seq;
  refresh_state_files(capture);
  size_t keep = capture.backup_count > 0 ? capture.backup_count : options_.backup_count;
  result.removed_snapshots = apply_retention(*fs_, backups, keep);
  auto kept = list_snapshots(*fs_, backups);
  if (!kept.empty()) result.removed_segments = delete_old_segments(kept.back().seq);
  result.snapshot_id = info.id;
  result.seq = info.seq;
  result.time_ns = info.time_ns;
  result.bytes = info.bytes();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started)
                .count();
  log_->write("INFO", "compaction: snapshot " + info.id + " at seq " +
                          std::to_string(info.seq) + " (" + std::to_string(info.files.size()) +
                          " files, " + std::to_string(result.bytes) + " bytes) in " +
                          std::to_string(ms) + " ms; removed snapshots: " +
                          join(result.removed_snapshots) +
                          "; removed journal segments: " + join(result.removed_segments));
  return result;
}

// Step 4: segments whose successor starts at or before oldest_kept_seq + 1.
std::vector<std::string> Compactor::delete_old_segments(uint64_t oldest_kept_seq) {
  const std::string journal = dir_ + "/journal";
  auto segments = list_segments(*fs_, journal);
  std::vector<std::string> removed;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first_seq > oldest_kept_seq + 1) break;
    fs_->remove(journal + "/" + segments[i].name);
    removed.push_back(segments[i].name);
  }
  if (!removed.empty()) fs_->sync_dir(journal);
  return removed;
}

void Compactor::refresh_state_files(const Capture& capture) {
  write_state_files(*fs_, dir_, capture.collections, /*overwrite=*/true);
}

void Compactor::note_commit(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_since_ += bytes;
  ++records_since_;
  if (!wanted_ && (bytes_since_ >= options_.compact_after_bytes ||
                   records_since_ >= options_.compact_after_records)) {
    wanted_ = true;
    cv_.notify_all();
  }
}

void Compactor::background_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto period = options_.compact_interval_ms > 0
                    ? std::chrono::milliseconds(options_.compact_interval_ms)
                    : std::chrono::hours(24 * 365);
  while (!stopping_) {
    bool woken = cv_.wait_for(lock, period, [this] { return stopping_ || wanted_; });
    if (stopping_) return;
    if (!woken && options_.compact_interval_ms == 0) continue;
    lock.unlock();
    try {
      compact();
    } catch (const std::exception& e) {
      log_->write("ERROR", std::string("background compaction failed: ") + e.what());
    }
    lock.lock();
  }
}

}  // namespace pa_journal
