#include "replication/clone.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "journal/format.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "replication/messages.h"
#include "replication/snapshot_bundle.h"
#include "replication/subjects.h"
#include "snapshot/catalogue.h"

namespace pa_journal::replication {
namespace {

constexpr uint64_t kProgressEvery = 64;  // messages between progress reports

bool is_store_id(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

void remove_tree(FileSystem& fs, const std::string& dir) noexcept {
  try {
    for (const std::string& name : fs.list_dir(dir)) {
      std::string path = join_path(dir, name);
      if (is_directory(fs, path)) {
        remove_tree(fs, path);
      } else {
        fs.remove(path);
      }
    }
    fs.remove_dir(dir);
  } catch (const StorageError&) {
    // Best effort: the header says what a failed clone may leave.
  }
}

std::string parent_of(const std::string& path) {
  std::string parent = std::filesystem::path(path).lexically_normal().parent_path();
  return parent.empty() ? "." : parent;
}

void write_whole(FileSystem& fs, const std::string& path, std::string_view data) {
  write_file_via_temp(fs, path, [&](WritableFile& f) { f.append(data); });
}

// The journal of the store being built, written as the journal writer
// writes it: segments named by their first seq, a header, frames verbatim.
class CloneJournal {
 public:
  CloneJournal(FileSystem& fs, std::string dir, uint64_t segment_bytes)
      : fs_(fs), dir_(std::move(dir)), segment_bytes_(segment_bytes) {}

  void append(uint64_t first_seq, std::string_view frame) {
    if (!file_ || bytes_ >= segment_bytes_) roll(first_seq);
    file_->append(frame);
    bytes_ += frame.size();
  }
  void close() {
    if (!file_) return;
    file_->sync();
    file_->close();
    file_.reset();
  }
  // Removes every segment written: the journal restarts after a bridge.
  void drop() {
    close();
    for (const std::string& path : paths_) fs_.remove(path);
    paths_.clear();
  }

 private:
  void roll(uint64_t first_seq) {
    close();
    paths_.push_back(segment_file_name(dir_, first_seq));
    file_ = fs_.new_writable(paths_.back());
    std::string header = encode_segment_header(first_seq);
    file_->append(header);
    bytes_ = header.size();
  }

  FileSystem& fs_;
  const std::string dir_;
  const uint64_t segment_bytes_;
  std::unique_ptr<WritableFile> file_;
  uint64_t bytes_ = 0;
  std::vector<std::string> paths_;
};

// One pass over the stream into the directory T.
class Cloner {
 public:
  Cloner(ReplicaLog& log, const std::string& stream, FileSystem& fs,
         const std::string& temp, const CloneOptions& options)
      : log_(log),
        stream_(stream),
        fs_(fs),
        temp_(temp),
        options_(options),
        journal_(fs, journal_dir(temp), options.segment_bytes) {}

  CloneResult run(const SealerChooser& choose);
  const SnapshotInfo* newest() const { return newest_ ? &*newest_ : nullptr; }

 private:
  void read_meta(const SealerChooser& choose);
  bool take(const LogMessage& m);
  bool take_record(const LogMessage& m, const Classified& c);
  void bridge_trailing_hole();
  void take_chunk(const LogMessage& m, const Classified& c);
  void finish_snapshot(const LogMessage& m);
  void write_snapshot(const Bundle& bundle);
  void replace_snapshot(const Bundle& bundle);
  std::string open(const LogMessage& m, std::string_view ad, const std::string& what);
  int64_t check_frame(const LogMessage& m, const Classified& c, std::string_view frame);
  [[noreturn]] void damaged(const LogMessage& m, const std::string& what) const;
  void report(bool always);

  ReplicaLog& log_;
  const std::string& stream_;
  FileSystem& fs_;
  const std::string& temp_;
  const CloneOptions& options_;
  CloneJournal journal_;
  std::unique_ptr<Sealer> sealer_;
  CloneResult result_;
  CloneProgress progress_;
  uint64_t first_stream_seq_ = 0;
  // The snapshot being reassembled.
  struct Partial {
    std::string id;
    uint64_t seq = 0;
    uint64_t next = 0;
    uint64_t count = 0;
    std::string data;
  };
  std::optional<Partial> partial_;
  // The whole snapshot with the highest seq since the last record: the one
  // that may bridge a hole before the next record.
  std::optional<std::pair<uint64_t, std::string>> bridge_;
  std::optional<SnapshotInfo> newest_;
  // The collection files written into backups/ for each snapshot id.
  std::map<std::string, std::vector<std::string>> written_;
};

CloneResult Cloner::run(const SealerChooser& choose) {
  std::optional<StreamState> state = log_.stream_state(stream_);
  if (!state) throw ReplicationError("there is no stream " + stream_);
  if (state->messages == 0) {
    throw ReplicationError("stream " + stream_ + " is empty: it holds no store");
  }
  progress_.stream_last_seq = state->last_seq;
  first_stream_seq_ = state->first_seq;
  read_meta(choose);
  fs_.create_dir(journal_dir(temp_));
  fs_.create_dir(backups_dir(temp_));
  log_.read(stream_, first_stream_seq_ + 1, [&](const LogMessage& m) { return take(m); });
  if (partial_) result_.incomplete_snapshots.push_back(partial_->id);
  bridge_trailing_hole();
  journal_.close();
  report(true);
  return std::move(result_);
}

void Cloner::read_meta(const SealerChooser& choose) {
  std::optional<LogMessage> first;
  log_.read(stream_, first_stream_seq_, [&](const LogMessage& m) {
    first = m;
    return false;
  });
  if (!first || first->subject != meta_subject(stream_)) {
    throw ReplicationError("stream " + stream_ +
                           " does not start with a meta message: it is not the replica "
                           "of a pa-journal store");
  }
  Meta meta = parse_meta(*first, stream_);
  if (!is_store_id(meta.store_id)) {
    throw ReplicationError("the meta message of stream " + stream_ +
                           " names no valid store id");
  }
  result_.store_id = meta.store_id;
  sealer_ = choose(meta.store_id, meta.sealing_json);
}

bool Cloner::take(const LogMessage& m) {
  progress_.stream_seq = m.stream_seq;
  Classified c = classify(m, stream_, result_.store_id);
  bool go_on = true;
  switch (c.kind) {
    case Classified::Kind::kRecord:
      go_on = take_record(m, c);
      break;
    case Classified::Kind::kChunk:
      take_chunk(m, c);
      break;
    case Classified::Kind::kMeta:
      damaged(m, "a second meta message");
    case Classified::Kind::kForeign:
      damaged(m, c.why);
  }
  report(false);
  return go_on;
}

// A stream may end with a snapshot past its last record: the source's
// compaction removed the records before that snapshot and rolled its journal,
// so none followed yet. The snapshot bridges that hole as it would one before
// a record: the journal restarts after it, and the store's last seq is its.
void Cloner::bridge_trailing_hole() {
  if (!bridge_ || bridge_->first <= result_.last_seq) return;
  journal_.drop();
  result_.bridged_holes.push_back(
      {result_.last_seq + 1, bridge_->first, bridge_->second});
  result_.first_seq = 0;
  result_.last_seq = bridge_->first;
  if (newest_ && newest_->seq == bridge_->first) result_.last_time_ns = newest_->time_ns;
  bridge_.reset();
}

bool Cloner::take_record(const LogMessage& m, const Classified& c) {
  std::string frame =
      open(m, associated_data(result_.store_id, SealedKind::kRecord, c.seq),
           "record " + std::to_string(c.seq));
  int64_t time_ns = check_frame(m, c, frame);
  if (options_.until_ns && time_ns > *options_.until_ns) return false;
  uint64_t expected = result_.last_seq + 1;
  if (c.from != expected) {
    bool bridged = c.from > expected && bridge_ && bridge_->first + 1 >= c.from;
    if (!bridged) {
      damaged(m, c.from > expected
                     ? "records " + std::to_string(expected) + " to " +
                           std::to_string(c.from - 1) +
                           " missing, and no snapshot before it covers them"
                     : "record " + std::to_string(c.from) + " again, after record " +
                           std::to_string(result_.last_seq));
    }
    // The journal restarts after the hole, as the source's did after its
    // compaction: the records before it are in the snapshots.
    journal_.drop();
    result_.bridged_holes.push_back({expected, c.from - 1, bridge_->second});
    result_.first_seq = 0;
  }
  journal_.append(c.from, frame);
  if (result_.first_seq == 0) result_.first_seq = c.from;
  result_.last_seq = c.seq;
  if (time_ns != 0) result_.last_time_ns = time_ns;
  ++result_.records;
  ++progress_.records;
  bridge_.reset();
  return true;
}

// Checks frame (header + payload) against the message's headers; returns the
// record's commit time (0 for a loss frame).
int64_t Cloner::check_frame(const LogMessage& m, const Classified& c,
                            std::string_view frame) {
  if (frame.size() < format::kFrameHeaderSize) damaged(m, "a frame too short");
  uint32_t length = get_u32(frame.data() + format::kFrameLengthOffset);
  if (frame.size() != format::kFrameHeaderSize + length) {
    damaged(m, "a frame whose length field does not match its size");
  }
  if (checksum(frame.substr(format::kFrameLengthOffset)) !=
      get_u64(frame.data() + format::kFrameChecksumOffset)) {
    damaged(m, "a frame that fails its checksum");
  }
  std::string_view payload = frame.substr(format::kFrameHeaderSize);
  auto type = static_cast<uint8_t>(frame[format::kFrameTypeOffset]);
  if (type == format::kTypeLoss && payload.size() >= format::kLossPayloadSize &&
      get_u64(payload.data()) == c.from && get_u64(payload.data() + 8) == c.seq) {
    return 0;
  }
  if (type != format::kTypeCommit || c.from != c.seq)
    damaged(m, "a frame of another kind");
  Record record;
  try {
    record = decode_payload(payload);
  } catch (const CorruptedDataError& e) {
    damaged(m, std::string("a record that does not decode: ") + e.what());
  }
  if (record.seq != c.seq) damaged(m, "record " + std::to_string(record.seq));
  return record.time_ns;
}

void Cloner::take_chunk(const LogMessage& m, const Classified& c) {
  if (partial_ && (partial_->id != c.snapshot || partial_->seq != c.snapshot_seq ||
                   partial_->next != c.index || partial_->count != c.count)) {
    result_.incomplete_snapshots.push_back(partial_->id);
    partial_.reset();
  }
  if (!partial_) {
    if (c.index != 0) {  // its first chunks are not in the stream
      if (result_.incomplete_snapshots.empty() ||
          result_.incomplete_snapshots.back() != c.snapshot) {
        result_.incomplete_snapshots.push_back(c.snapshot);
      }
      return;
    }
    partial_ = Partial{c.snapshot, c.snapshot_seq, 0, c.count, {}};
  }
  partial_->data += open(
      m,
      associated_data(result_.store_id, SealedKind::kSnapshotChunk, c.index, c.snapshot),
      "chunk " + std::to_string(c.index) + " of snapshot " + c.snapshot);
  if (++partial_->next == partial_->count) finish_snapshot(m);
}

void Cloner::finish_snapshot(const LogMessage& m) {
  Partial whole = std::move(*partial_);
  partial_.reset();
  std::string where = "snapshot " + whole.id + " (stream " + stream_ +
                      ", last chunk at " + describe(m) + ")";
  Bundle bundle = unpack_bundle(whole.data, where);
  if (bundle.info.id != whole.id || bundle.info.seq != whole.seq) {
    damaged(m, "a bundle of snapshot " + bundle.info.id + " (seq " +
                   std::to_string(bundle.info.seq) + ")");
  }
  if (options_.until_ns && bundle.info.time_ns > *options_.until_ns) return;
  replace_snapshot(bundle);
  auto& ids = result_.snapshots;
  if (std::find(ids.begin(), ids.end(), whole.id) == ids.end()) ids.push_back(whole.id);
  ++progress_.snapshots;
  if (!bridge_ || bridge_->first < bundle.info.seq)
    bridge_.emplace(bundle.info.seq, whole.id);
  if (!newest_ || newest_->seq < bundle.info.seq) newest_ = bundle.info;
}

// A store holds one snapshot per id: a later snapshot that took the id of one
// retention removed is the only one of that id the store then holds. So a
// snapshot whose id an earlier one in the stream had (it covers a later seq)
// replaces it in backups/: its files are written over the earlier one's, and
// the earlier one's files it does not name are removed.
void Cloner::replace_snapshot(const Bundle& bundle) {
  auto earlier = written_.find(bundle.info.id);
  write_snapshot(bundle);
  std::vector<std::string> names;
  for (const auto& file : bundle.files) names.push_back(file.first);
  if (earlier != written_.end()) {
    for (const std::string& name : earlier->second) {
      if (std::find(names.begin(), names.end(), name) == names.end())
        fs_.remove(join_path(backups_dir(temp_), name));
    }
  }
  written_[bundle.info.id] = std::move(names);
}

// The collection files, then the manifest: the manifest is the snapshot's
// commit point, in the clone as in the store.
void Cloner::write_snapshot(const Bundle& bundle) {
  const std::string backups = backups_dir(temp_);
  for (const auto& [name, text] : bundle.files) {
    write_whole(fs_, join_path(backups, name), text);
  }
  write_whole(fs_, manifest_file_name(backups, bundle.info.id), bundle.manifest_text);
}

std::string Cloner::open(const LogMessage& m, std::string_view ad,
                         const std::string& what) {
  try {
    return sealer_->open(m.data, ad);
  } catch (const StorageError& e) {
    damaged(m, what + " that does not open (" + e.what() + ")");
  }
}

void Cloner::damaged(const LogMessage& m, const std::string& what) const {
  throw CorruptedDataError("stream " + stream_ + " holds at " + describe(m) + " " + what +
                               "; the clone stops, and writes no store",
                           stream_, m.stream_seq, result_.last_seq);
}

void Cloner::report(bool always) {
  if (!options_.progress) return;
  if (always || progress_.stream_seq % kProgressEvery == 0) options_.progress(progress_);
}

void write_store_id_file(FileSystem& fs, const std::string& dir, const std::string& id) {
  write_whole(fs, join_path(dir, kStoreIdFileName), id + "\n");
}

}  // namespace

void check_clone_target(FileSystem& fs, const std::string& out_dir) {
  const std::string temp = out_dir + std::string(kCloneTempSuffix);
  if (fs.exists(out_dir) &&
      (!is_directory(fs, out_dir) || !fs.list_dir(out_dir).empty())) {
    throw InvalidInputError("cannot clone into " + out_dir +
                            ": it exists and is not an empty directory");
  }
  if (fs.exists(temp)) {
    throw InvalidInputError("cannot clone into " + out_dir + ": " + temp +
                            " exists (left by a clone that did not finish?); remove it "
                            "first");
  }
}

CloneResult clone_from_log(ReplicaLog& log, const std::string& stream,
                           const SealerChooser& choose, FileSystem& fs,
                           const std::string& out_dir, const CloneOptions& options) {
  validate_stream_name(stream);
  const std::string temp = out_dir + std::string(kCloneTempSuffix);
  check_clone_target(fs, out_dir);
  CloneResult result;
  std::optional<SnapshotInfo> newest;
  try {
    create_dirs_durably(fs, temp);  // step 1
    Cloner cloner(log, stream, fs, temp, options);
    result = cloner.run(choose);
    if (options.until_ns && result.records == 0 && result.snapshots.empty()) {
      throw InvalidInputError(
          "stream " + stream + " holds nothing committed at or before " +
          format_time_ns(*options.until_ns) + ": the clone would be an empty store (" +
          out_dir + " is left as it was); give a later time");
    }
    if (cloner.newest()) newest = *cloner.newest();
    auto write_id = options.write_store_id ? options.write_store_id : write_store_id_file;
    write_id(fs, temp, result.store_id);
    fs.sync_dir(journal_dir(temp));  // step 2
    fs.sync_dir(backups_dir(temp));
    fs.sync_dir(temp);
    fs.rename(temp, out_dir);  // step 3
    fs.sync_dir(parent_of(out_dir));
  } catch (...) {
    remove_tree(fs, temp);
    throw;
  }
  if (newest) {  // step 4; the store opens without them
    try {
      link_state_files(fs, out_dir, backups_dir(out_dir), *newest, /*copy=*/true);
    } catch (const StorageError&) {
    }
  }
  return result;
}

}  // namespace pa_journal::replication
