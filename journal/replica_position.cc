// Replica positions: replicas/<stream>.json (journal/replica_position.h).
//
// Crash-safety argument
// ---------------------
// A position is only ever replaced whole, by write_file_atomically:
//   0. replicas/ is created (0700) and the store's directory synced, once,
//      so that the folder, and what is later made durable in it, survives a
//      power loss (create_dir_durably).
//   1. replicas/<stream>.json.tmp is written with the whole new JSON text
//      and synced;
//   2. it is renamed over replicas/<stream>.json: rename(2) swaps the name
//      from the old inode to the new one in one step;
//   3. replicas/ is synced, making the rename durable.
// Before step 2 completes the name refers to the old file, which no step
// touches; after it, to the new file, whose bytes were durable before the
// rename. A power loss before step 3 may undo the rename: the old file
// again, whole. So a crash at any point leaves the old position or the new
// one, never a torn one, and perhaps the temporary of step 1, which no
// reader reads (the listing skips temporaries) and the next write replaces.
// The shipper writes a position only after the stream acknowledged what it
// says; a crash that brings back the old position makes it ship again what
// the stream already holds, which the stream's deduplication ids absorb:
// no gap, no duplicate.
//
// Removal (forget) is one unlink followed by a sync of replicas/: the file
// is there or gone, and if a power loss brings it back, it still holds the
// journal, which is the safe side.
#include "journal/replica_position.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "journal/layout.h"
#include "journal/store_id.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {
namespace {

using Json = nlohmann::ordered_json;

void check_stream(const std::string& stream) {
  if (!is_stream_name(stream)) {
    throw InvalidInputError("bad stream name \"" + stream +
                            "\": a stream name is 1 to 64 letters, digits, '_' or '-'");
  }
}

std::string serialize(const ReplicaPosition& p) {
  Json j;
  j["stream"] = p.stream;
  j["url"] = p.url;
  j["store_id"] = p.store_id;
  j["acked_seq"] = p.acked_seq;
  j["stream_seq"] = p.stream_seq;
  j["snapshots"] = Json::array();
  for (const ReplicaSnapshot& s : p.snapshots)
    j["snapshots"].push_back({{"id", s.id}, {"seq", s.seq}});
  j["updated"] = p.updated;
  return j.dump(2) + "\n";
}

// A field of the position's JSON, or a CorruptedDataError naming the file.
const Json& field(const Json& j, const char* name, Json::value_t type,
                  const std::string& file) {
  auto it = j.find(name);
  bool ok = it != j.end() &&
            (it->type() == type ||
             (type == Json::value_t::number_unsigned && it->is_number_unsigned()));
  if (!ok) {
    throw CorruptedDataError(
        file + " is damaged: \"" + name + "\" is missing or of " + "the wrong type",
        file);
  }
  return *it;
}

ReplicaPosition parse(const std::string& text, const std::string& stream,
                      const std::string& file) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    throw CorruptedDataError(file + " is damaged: not a JSON object", file);
  ReplicaPosition p;
  p.stream = field(j, "stream", Json::value_t::string, file).get<std::string>();
  p.url = field(j, "url", Json::value_t::string, file).get<std::string>();
  p.store_id = field(j, "store_id", Json::value_t::string, file).get<std::string>();
  p.acked_seq =
      field(j, "acked_seq", Json::value_t::number_unsigned, file).get<uint64_t>();
  p.stream_seq =
      field(j, "stream_seq", Json::value_t::number_unsigned, file).get<uint64_t>();
  for (const auto& s : field(j, "snapshots", Json::value_t::array, file)) {
    if (!s.is_object()) {
      throw CorruptedDataError(file + " is damaged: a snapshot is not an object", file);
    }
    p.snapshots.push_back(
        {field(s, "id", Json::value_t::string, file).get<std::string>(),
         field(s, "seq", Json::value_t::number_unsigned, file).get<uint64_t>()});
  }
  p.updated = field(j, "updated", Json::value_t::string, file).get<std::string>();
  if (p.stream != stream) {
    throw CorruptedDataError(
        file + " is damaged: it names the stream \"" + p.stream + "\"", file);
  }
  if (!is_store_id(p.store_id)) {
    throw CorruptedDataError(file + " is damaged: \"" + p.store_id + "\" is no store id",
                             file);
  }
  return p;
}

// "replicas/<name>", as messages and Damage name a file of the store.
std::string in_replicas(const std::string& name) {
  return join_path(kReplicasDirName, name);
}

}  // namespace

std::optional<uint64_t> ReplicaListing::held_after() const {
  if (!damaged.empty()) return 0;
  if (positions.empty()) return std::nullopt;
  uint64_t low = positions.front().acked_seq;
  for (const auto& p : positions) low = std::min(low, p.acked_seq);
  return low;
}

void write_replica_position(FileSystem& fs, const std::string& dir,
                            ReplicaPosition position) {
  check_stream(position.stream);
  if (!is_store_id(position.store_id)) {
    throw InvalidInputError("bad store id \"" + position.store_id + "\"");
  }
  if (position.updated.empty()) position.updated = format_time_ns(system_now_ns());
  create_dir_durably(fs, replicas_dir(dir));
  write_file_atomically(fs, replica_position_file_name(dir, position.stream),
                        serialize(position));
}

ReplicaPosition read_replica_position(FileSystem& fs, const std::string& dir,
                                      const std::string& stream) {
  check_stream(stream);
  const std::string path = replica_position_file_name(dir, stream);
  if (!fs.exists(path)) throw NotFoundError("no position of the stream " + stream);
  return parse(fs.read_file(path), stream, in_replicas(stream + ".json"));
}

ReplicaListing list_replica_positions(FileSystem& fs, const std::string& dir) {
  ReplicaListing out;
  const std::string replicas = replicas_dir(dir);
  if (!fs.exists(replicas)) return out;
  std::vector<std::string> names = fs.list_dir(replicas);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::optional<FileName> parsed = parse_file_name(in_replicas(name));
    if (parsed && parsed->type == FileType::kReplicaPosition) {
      try {
        out.positions.push_back(read_replica_position(fs, dir, parsed->stream));
      } catch (const CorruptedDataError& e) {
        out.damaged.push_back(e.what());
      }
    } else if (!parsed) {
      out.strays.push_back(in_replicas(name));
    }
  }
  return out;
}

bool remove_replica_position(FileSystem& fs, const std::string& dir,
                             const std::string& stream) {
  check_stream(stream);
  const std::string path = replica_position_file_name(dir, stream);
  if (!fs.exists(path)) return false;
  fs.remove(path);
  fs.sync_dir(replicas_dir(dir));
  return true;
}

std::unique_ptr<FileLock> lock_replica(FileSystem& fs, const std::string& dir,
                                       const std::string& stream) {
  check_stream(stream);
  create_dir_durably(fs, replicas_dir(dir));
  return fs.lock(replica_lock_file_name(dir, stream));
}

}  // namespace pa_journal
