// `pa-journal restore`, `history`, `diff`, and the `--at T` of get and list.
#include <iostream>

#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

using nlohmann::json;

json doc_or_null(const std::optional<std::string>& doc) {
  return doc ? parse_document(*doc) : json();
}

json changes_json(const std::vector<DocumentChange>& changes) {
  json out = json::object();
  for (const auto& c : changes) {
    const char* kind = !c.before ? "added" : !c.after ? "deleted" : "changed";
    json& slot = out[c.collection][kind];
    if (!c.before) {
      slot[c.key] = doc_or_null(c.after);
    } else if (!c.after) {
      slot[c.key] = doc_or_null(c.before);
    } else {
      slot[c.key] = {{"old", doc_or_null(c.before)}, {"new", doc_or_null(c.after)}};
    }
  }
  return out;
}

void print_changes(const std::vector<DocumentChange>& changes) {
  if (changes.empty()) std::cout << "no changes\n";
  for (const auto& c : changes) {
    std::string id = c.collection + "/" + c.key;
    if (!c.before) {
      std::cout << "+ " << id << "  " << *c.after << "\n";
    } else if (!c.after) {
      std::cout << "- " << id << "  " << *c.before << "\n";
    } else {
      std::cout << "~ " << id << "  " << *c.before << "  ->  " << *c.after << "\n";
    }
  }
}

}  // namespace

std::unique_ptr<Store> open_at_arg(const Globals& g, const std::string& at) {
  return Store::open_at(store_dir(g), time_arg(g, at), read_options(g));
}

int run_restore(const Globals& g, const RestoreArgs& args) {
  int64_t t = time_arg(g, args.at);
  const Options progress = read_options(g, /*progress=*/true);
  if (!args.out.empty()) {
    Collections state = state_at(store_dir(g), t, progress);
    write_state(args.out, state, args.force, progress);
    if (g.json) {
      print_json({{"at", format_time_ns(t)}, {"out", args.out}});
    } else {
      std::cout << "state at " << format_time_ns(t) << " written to " << args.out << "\n";
    }
    return kExitOk;
  }
  if (args.dry_run) {
    // Read-only: a dry run works beside a live writer and never takes LOCK.
    Collections now = open_read_only(g)->state();
    auto changes = diff_states(now, state_at(store_dir(g), t, progress));
    if (g.json) {
      print_json({{"at", format_time_ns(t)},
                  {"dry_run", true},
                  {"changes", changes_json(changes)}});
    } else {
      std::cout << "restore to " << format_time_ns(t) << " would change "
                << changes.size() << " documents (nothing appended):\n";
      print_changes(changes);
    }
    return kExitOk;
  }
  CommitResult r = open_writable(g, /*progress=*/true)->restore_to(t);
  if (g.json) {
    json out = {{"at", format_time_ns(t)}, {"seq", r.seq ? json(r.seq) : json()}};
    if (r.seq) out["time"] = format_time_ns(r.time_ns);
    print_json(out);
  } else if (r.seq == 0) {
    std::cout << "nothing to restore: the state at " << format_time_ns(t)
              << " is the current state\n";
  } else {
    std::cout << "restored to " << format_time_ns(t) << " as commit " << r.seq << "; "
              << undo_hint(g, r) << "\n";
  }
  return kExitOk;
}

int run_history(const Globals& g, const std::string& collection, const std::string& key) {
  auto versions = document_history(store_dir(g), collection, key, read_options(g));
  if (versions.empty()) {
    std::string missing = missing_collection(g, collection);
    throw NotFoundError("no history for " + collection + "/" + key +
                        (missing.empty() ? "" : ": " + missing));
  }
  if (g.json) {
    json out = json::array();
    for (const auto& v : versions) {
      json version = {{"seq", v.seq},
                      {"time", format_time_ns(v.time_ns)},
                      {"op", v.from_snapshot ? "snapshot" : to_string(v.op)},
                      {"value", doc_or_null(v.value)}};
      if (!v.origin.empty()) version["origin"] = v.origin;  // as in inspect --records
      out.push_back(std::move(version));
    }
    print_json(out);
    return kExitOk;
  }
  for (const auto& v : versions) {
    std::cout << v.seq << "  " << local_time(v.time_ns) << "  "
              << (v.from_snapshot ? "snapshot" : to_string(v.op)) << "  "
              << (v.value ? *v.value : "(deleted)")
              << (v.origin.empty() ? "" : "  (" + v.origin + ")") << "\n";
  }
  return kExitOk;
}

int run_diff(const Globals& g, const std::string& from, const std::string& to) {
  Options options = read_options(g);
  std::string dir = store_dir(g);
  int64_t t1 = time_arg(g, from);
  int64_t t2 = to.empty() ? system_now_ns() : time_arg(g, to);
  auto changes = diff_states(state_at(dir, t1, options), state_at(dir, t2, options));
  if (g.json) {
    print_json({{"from", format_time_ns(t1)},
                {"to", format_time_ns(t2)},
                {"changes", changes_json(changes)}});
  } else {
    std::cout << "from " << format_time_ns(t1) << " to " << format_time_ns(t2) << ":\n";
    print_changes(changes);
  }
  return kExitOk;
}

}  // namespace pa_journal::cli
