#include "pa_journal/inspect.h"

#include <map>

#include "journal/journal_reader.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"

namespace pa_journal {
namespace {

std::shared_ptr<FileSystem> file_system(const Options& options) {
  return options.file_system ? options.file_system : posix_file_system();
}

std::string existing_journal(FileSystem& fs, const std::string& dir) {
  if (!fs.exists(dir)) throw NotFoundError("no store at " + dir);
  return dir + "/journal";
}

bool matches(const RecordFilter& f, const Record& r) {
  if (r.seq < f.from_seq) return false;
  if (f.since_ns && r.time_ns < *f.since_ns) return false;
  if (f.until_ns && r.time_ns > *f.until_ns) return false;
  if (!f.collection && !f.key) return true;
  for (const auto& op : r.ops) {
    if ((!f.collection || op.collection == *f.collection) && (!f.key || op.key == *f.key)) {
      return true;
    }
  }
  return false;
}

}  // namespace

JournalSummary inspect_journal(const std::string& dir, const Options& options) {
  auto fs = file_system(options);
  JournalSummary summary;
  std::map<std::string, uint64_t> per_collection;
  ScanReport scan = scan_journal(*fs, existing_journal(*fs, dir), RecoveryMode::kSalvage,
                                 [&](const Record& r) {
                                   std::map<std::string, bool> seen;
                                   for (const auto& op : r.ops) seen[op.collection] = true;
                                   for (const auto& [c, _] : seen) ++per_collection[c];
                                   summary.commit_times_ns.push_back(r.time_ns);
                                 });
  for (const auto& s : scan.segments) summary.segments.push_back({s.name, s.first_seq, s.bytes});
  summary.bytes = scan.bytes;
  summary.records = scan.records;
  summary.first_seq = scan.first_seq;
  summary.last_seq = scan.last_seq;
  summary.first_time_ns = scan.first_time_ns;
  summary.last_time_ns = scan.last_time_ns;
  summary.damage = scan.damage;
  for (const auto& l : scan.known_losses) summary.known_losses.push_back({l.first_seq, l.last_seq});
  summary.commits_per_collection.assign(per_collection.begin(), per_collection.end());
  return summary;
}

VerifyResult verify_store(const std::string& dir, const Options& options) {
  auto fs = file_system(options);
  ScanReport scan = scan_journal(*fs, existing_journal(*fs, dir), RecoveryMode::kSalvage,
                                 [](const Record&) {});
  VerifyResult result;
  result.records = scan.records;
  result.segments = scan.segments.size();
  result.damage = scan.damage;
  return result;
}

void read_records(const std::string& dir, const RecordFilter& filter,
                  const std::function<void(const Record&)>& sink, const Options& options) {
  auto fs = file_system(options);
  uint64_t delivered = 0;
  scan_journal(*fs, existing_journal(*fs, dir), options.recovery, [&](const Record& r) {
    if ((filter.limit == 0 || delivered < filter.limit) && matches(filter, r)) {
      ++delivered;
      sink(r);
    }
  });
}

}  // namespace pa_journal
