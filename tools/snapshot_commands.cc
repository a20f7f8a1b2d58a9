// `pa-journal compact`, `backups`, `replay`, `export`, `import` and `backup`.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "journal/layout.h"
#include "pa_journal/backup.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

json strings(const std::vector<std::string>& items) { return json(items); }

void print_report(const RecoveryReport& r) {
  std::cout << "mode         " << to_string(r.mode) << "\n"
            << "snapshot     "
            << (r.snapshot_id.empty()
                    ? std::string("none")
                    : r.snapshot_id + " (seq " + std::to_string(r.snapshot_seq) + ")")
            << "\n";
  for (const auto& f : r.snapshot_fallbacks)
    std::cout << "passed over  " << f.describe() << "\n";
  std::cout << "replayed     " << r.records_replayed << " records";
  if (r.records_replayed)
    std::cout << " (seq " << r.first_seq << ".." << r.last_seq << ")";
  std::cout << "\n";
  for (const auto& d : r.damage) std::cout << "damage       " << d.describe() << "\n";
}

json report_json(const RecoveryReport& r) {
  json damage = json::array(), fallbacks = json::array();
  for (const auto& d : r.damage) damage.push_back(damage_json(d));
  for (const auto& d : r.snapshot_fallbacks) fallbacks.push_back(damage_json(d));
  return {{"mode", to_string(r.mode)},
          {"snapshot", r.snapshot_id.empty() ? json() : json(r.snapshot_id)},
          {"snapshot_seq", r.snapshot_seq},
          {"snapshot_fallbacks", fallbacks},
          {"records_replayed", r.records_replayed},
          {"first_seq", r.first_seq},
          {"last_seq", r.last_seq},
          {"damage", damage}};
}

}  // namespace

int run_compact(const Globals& g) {
  auto store = open_writable(g, /*progress=*/true);
  CompactionResult r = store->compact();
  if (g.json) {
    print_json(
        {{"snapshot", r.snapshot_id.empty() ? json() : json(r.snapshot_id)},
         {"seq", r.seq},
         {"time", r.snapshot_id.empty() ? json() : json(format_time_ns(r.time_ns))},
         {"bytes", r.bytes},
         {"removed_snapshots", strings(r.removed_snapshots)},
         {"removed_segments", strings(r.removed_segments)}});
    return kExitOk;
  }
  if (r.snapshot_id.empty() && store->last_seq() == 0) {
    std::cout << "nothing to compact: the store has no records\n";
  } else if (r.snapshot_id.empty()) {
    std::cout << "nothing to compact: the newest snapshot already covers seq "
              << store->last_seq() << "\n";
  } else {
    std::cout << "snapshot " << r.snapshot_id << " at seq " << r.seq << " ("
              << human_size(r.bytes) << ")\n";
  }
  for (const auto& id : r.removed_snapshots)
    std::cout << "removed snapshot " << id << "\n";
  for (const auto& s : r.removed_segments) std::cout << "removed segment " << s << "\n";
  return kExitOk;
}

int run_backups(const Globals& g) {
  auto backups = list_backups(store_dir(g), read_options(g));
  if (g.json) {
    json out = json::array();
    for (const auto& b : backups) {
      json files = json::array();
      for (const auto& f : b.files) files.push_back(f.file);
      files.push_back(b.manifest);
      out.push_back({{"id", b.id},
                     {"time", format_time_ns(b.time_ns)},
                     {"seq", b.seq},
                     {"files", files},
                     {"bytes", b.bytes}});
    }
    print_json(out);
    return kExitOk;
  }
  if (backups.empty()) std::cout << "no snapshots yet: run `pa-journal compact`\n";
  for (const auto& b : backups) {
    std::cout << b.id << "  " << local_time(b.time_ns) << "  seq " << b.seq << "  "
              << human_size(b.bytes) << "  " << b.files.size() << " collections\n";
  }
  return kExitOk;
}

int run_replay(const Globals& g, const ReplayArgs& args) {
  Options options = read_options(g, /*progress=*/true);
  if (!args.mode.empty()) {
    Globals with_mode = g;
    with_mode.recovery = args.mode;
    options = read_options(with_mode, /*progress=*/true);
  }
  std::optional<int64_t> until;
  if (!args.until.empty()) {
    until = time_arg(g, args.until);
    // The one rule of every state at a time: outside the window is refused.
    check_in_window(store_dir(g), *until, options);
  }
  ReplayOutcome r = replay_store(store_dir(g), options, until, args.out, args.force);
  if (g.json) {
    json collections = json::object();
    for (const auto& [name, n] : r.collections) collections[name] = n;
    json out = report_json(r.report);
    out["collections"] = collections;
    out["state_seq"] = r.last_seq;
    if (!args.out.empty()) out["out"] = args.out;
    print_json(out);
  } else {
    print_report(r.report);
    std::cout << "state        seq " << r.last_seq;
    for (const auto& [name, n] : r.collections) std::cout << ", " << name << " " << n;
    std::cout << "\n";
    if (!args.out.empty()) std::cout << "written to   " << args.out << "\n";
  }
  return kExitOk;
}

int run_export(const Globals& g, const std::string& out_dir, const std::string& at) {
  std::optional<int64_t> until;
  if (!at.empty()) until = time_arg(g, at);
  auto [seq, time_ns] =
      export_store(store_dir(g), out_dir, until, read_options(g, /*progress=*/true));
  if (g.json) {
    print_json({{"out", out_dir},
                {"seq", seq},
                {"time", seq ? json(format_time_ns(time_ns)) : json()}});
  } else {
    std::cout << "exported the state at seq " << seq << " ("
              << (seq ? format_time_ns(time_ns) : "no commit yet") << ") to " << out_dir
              << "\n";
  }
  return kExitOk;
}

namespace {

// Why an entry was not imported: the library's reason, and for the app's
// backups/ the command that brings them in as history.
std::string not_imported_reason(const std::string& path, const std::string& why) {
  bool app_backups = path == std::string(kBackupsDirName) + "/";
  return app_backups ? why + ": pa-journal adopt brings their history" : why;
}

json import_json(const std::string& in_dir, const ImportOptions& options,
                 const ImportResult& r) {
  json counts = json::object();
  for (const auto& [name, n] : r.collections) {
    counts[name] = {{"added", n.added}, {"changed", n.changed}, {"removed", n.removed}};
  }
  json not_imported = json::array();
  for (const auto& [path, why] : r.not_imported)
    not_imported.push_back({{"path", path}, {"reason", not_imported_reason(path, why)}});
  json out = {{"in", in_dir},
              {"form", r.form},
              {"dry_run", options.dry_run},
              {"merge", options.merge},
              {"seq", r.commit.seq ? json(r.commit.seq) : json()},
              {"collections", counts},
              {"edited", r.edited},
              {"not_imported", not_imported}};
  if (r.commit.seq) out["time"] = format_time_ns(r.commit.time_ns);
  return out;
}

void print_import_counts(const ImportResult& r) {
  size_t width = 0;
  for (const auto& [name, _] : r.collections) width = std::max(width, name.size());
  for (const auto& [name, n] : r.collections) {
    std::cout << "  " << name << std::string(width - name.size(), ' ') << "  " << n.added
              << " added, " << n.changed << " changed, " << n.removed << " removed\n";
  }
  for (const auto& file : r.edited)
    std::cout << "edited by hand (its checksum fails; its JSON checked): " << file
              << "\n";
  for (const auto& [path, why] : r.not_imported)
    std::cout << "not imported: " << path << " (" << not_imported_reason(path, why)
              << ")\n";
}

}  // namespace

int run_import(const Globals& g, const ImportArgs& args) {
  // A dry run only reads: beside a live writer, and never creating a store.
  // Nor does an import that would be refused create one.
  if (!args.dry_run && !std::filesystem::exists(store_dir(g))) {
    check_import_dir(args.dir, args.accept_edits, read_options(g));
  }
  auto store = args.dry_run ? open_read_only(g) : open_or_create(g, /*progress=*/true);
  ImportOptions options;
  options.merge = args.merge;
  options.dry_run = args.dry_run;
  options.accept_edits = args.accept_edits;
  ImportResult r = store->import_from(args.dir, options);
  if (g.json) {
    print_json(import_json(args.dir, options, r));
    return kExitOk;
  }
  std::cout << (args.dry_run ? "would import " : "import of ") << args.dir << " ("
            << r.form << (args.merge ? ", merged" : ", replacing each collection")
            << (args.dry_run ? "; nothing is appended" : "") << "):\n";
  print_import_counts(r);
  if (args.dry_run) return kExitOk;
  if (r.commit.seq == 0) {
    std::cout << "nothing to import: the store already holds " << args.dir
              << "'s content\n";
  } else {
    std::cout << "imported " << args.dir << " as commit " << r.commit.seq << "; "
              << undo_hint(g, r.commit) << "\n";
  }
  return kExitOk;
}

int run_backup(const Globals& g, const std::string& out_dir) {
  BackupResult r =
      backup_store(store_dir(g), out_dir, read_options(g, /*progress=*/true));
  if (!r.removed_leftover.empty()) {
    std::cerr << "removed " << r.removed_leftover << ", left by an interrupted backup\n";
  }
  for (const auto& id : r.damaged_snapshots) {
    std::cerr << "warning: snapshot " << id
              << " does not verify and was not copied (pa-journal verify says why)\n";
  }
  if (g.json) {
    print_json({{"out", r.out_dir},
                {"seq", r.seq},
                {"time", r.seq ? json(format_time_ns(r.time_ns)) : json()},
                {"snapshots", r.snapshots},
                {"segments", r.segments},
                {"bytes", r.bytes},
                {"damaged_snapshots", strings(r.damaged_snapshots)}});
    return kExitOk;
  }
  std::cout << "backed up seq " << r.seq << " ("
            << (r.seq ? format_time_ns(r.time_ns) : "no commit yet")
            << "): " << r.snapshots << (r.snapshots == 1 ? " snapshot, " : " snapshots, ")
            << r.segments
            << (r.segments == 1 ? " journal segment, " : " journal segments, ")
            << human_size(r.bytes) << " to " << r.out_dir << "\n";
  return kExitOk;
}

}  // namespace pa_journal::cli
