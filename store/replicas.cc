// list_replicas and forget_replica (include/pa_journal/replicas.h).
#include "pa_journal/replicas.h"

#include <algorithm>

#include "journal/layout.h"
#include "journal/replica_position.h"
#include "journal/store_id.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "store/replica_status.h"
#include "store/store_dir.h"

namespace pa_journal {
namespace {

std::shared_ptr<FileSystem> file_system(const Options& options) {
  return options.file_system ? options.file_system : posix_file_system();
}

// The records and bytes of segments the store keeps for position alone:
// never the newest, wholly at or before the oldest snapshot, holding a record
// after acked_seq.
void count_held(ReplicaStatus& status, const std::vector<SegmentSummary>& segments,
                uint64_t oldest_snapshot_seq) {
  uint64_t acked = status.position.acked_seq;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    uint64_t last = segments[i + 1].first_seq - 1;
    if (last > oldest_snapshot_seq) break;
    if (last <= acked) continue;
    status.held_records += last - std::max(acked, segments[i].first_seq - 1);
    status.held_bytes += segments[i].bytes;
  }
}

}  // namespace

std::vector<ReplicaStatus> replica_statuses(const ReplicaListing& listing,
                                            const std::vector<SegmentSummary>& segments,
                                            uint64_t last_seq,
                                            uint64_t oldest_snapshot_seq) {
  std::vector<ReplicaStatus> out;
  for (const auto& position : listing.positions) {
    ReplicaStatus status;
    status.position = position;
    status.lag_records =
        last_seq > position.acked_seq ? last_seq - position.acked_seq : 0;
    count_held(status, segments, oldest_snapshot_seq);
    out.push_back(std::move(status));
  }
  return out;
}

std::vector<Damage> replica_files_damage(FileSystem& fs, const std::string& dir) {
  std::vector<Damage> out;
  auto add = [&out](const CorruptedDataError& e) {
    out.push_back(Damage::corruption(e.file(), 0, 0, e.what()));
  };
  try {
    if (fs.exists(store_id_file_name(dir))) read_store_id(fs, dir);
  } catch (const CorruptedDataError& e) {
    add(e);
  }
  if (!fs.exists(replicas_dir(dir))) return out;
  std::vector<std::string> names = fs.list_dir(replicas_dir(dir));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::optional<FileName> parsed = parse_file_name(join_path(kReplicasDirName, name));
    if (!parsed || parsed->type != FileType::kReplicaPosition) continue;
    try {
      read_replica_position(fs, dir, parsed->stream);
    } catch (const CorruptedDataError& e) {
      add(e);
    }
  }
  return out;
}

std::string store_id_of(const std::string& dir, const Options& options) {
  auto fs = file_system(options);
  require_store_dir(*fs, dir);
  if (!fs->exists(store_id_file_name(dir))) return {};
  return read_store_id(*fs, dir);
}

ReplicasReport list_replicas(const std::string& dir, const Options& options) {
  return inspect_journal(dir, options).replicas;
}

bool forget_replica(const std::string& dir, const std::string& stream,
                    const Options& options) {
  auto fs = file_system(options);
  require_store_dir(*fs, dir);
  if (!is_stream_name(stream)) {
    throw InvalidInputError("bad stream name \"" + stream +
                            "\": a stream name is 1 to 64 letters, digits, '_' or '-'");
  }
  if (!fs->exists(replica_position_file_name(dir, stream))) return false;
  std::unique_ptr<FileLock> lock = lock_replica(*fs, dir, stream);
  return remove_replica_position(*fs, dir, stream);
}

}  // namespace pa_journal
