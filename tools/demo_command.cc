// `pa-journal demo`: a guided tour of the store on a throwaway directory. Each
// step prints one line saying what it shows, then shows it.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

namespace fs = std::filesystem;

void step(const std::string& what) { std::cout << "\n== " << what << "\n" << std::flush; }

// "20261204_093000": the local time days ago, as the app names its backups.
std::string app_stamp(int days_ago) {
  std::time_t t = std::time(nullptr) - days_ago * 86400;
  std::tm local{};
  ::localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d_%H%M%S", &local);
  return text;
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A small directory as the personal-assistant app leaves it: its lists, two
// backups of contacts made before saves, its config and its log. Returns the
// local time of the older backup, for `list --at`.
std::string write_app_directory(const std::string& dir) {
  const std::string alice =
      R"({"email": "alice@example.com", "id": "alice", "name": "Alice Martin"})";
  const std::string bob =
      R"({"email": "bob@example.com", "id": "bob", "name": "Bob Chen"})";
  const std::string chloe = R"({"city": "Lyon", "id": "chloe", "name": "Chloé Dubois"})";
  std::string older = app_stamp(3), newer = app_stamp(1);
  const std::string backups = backups_dir(dir);
  write_text(join_path(backups, snapshot_file_name("contacts", older)),
             "[\n  " + alice + "\n]\n");
  write_text(join_path(backups, snapshot_file_name("contacts", newer)),
             "[\n  " + alice + ",\n  " + bob + "\n]\n");
  write_text(state_file_name(dir, "contacts"),
             "[\n  " + alice + ",\n  " + bob + ",\n  " + chloe + "\n]\n");
  write_text(state_file_name(dir, "notes"),
             R"([{"id": "groceries", "text": "milk, eggs, bread"}, )"
             R"({"id": "ideas", "text": "learn the journal format"}])"
             "\n");
  write_text(state_file_name(dir, kConfigCollection),
             R"([{"backup_count": 10, "date_format": "%Y-%m-%d"}])"
             "\n");
  write_text(storage_log_file_name(dir),
             "2026-01-01 10:00:00,000 - FileStorage - INFO - saved\n");
  return older.substr(0, 4) + "-" + older.substr(4, 2) + "-" + older.substr(6, 2) + " " +
         older.substr(9, 2) + ":" + older.substr(11, 2) + ":" + older.substr(13, 2);
}

// What a crash in the middle of an append leaves: the start of a frame whose
// length runs past the end of the file.
void tear_tail(const std::string& dir) {
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(journal_dir(dir))) {
    if (entry.path().extension() == ".log" && entry.path() > newest)
      newest = entry.path();
  }
  std::ofstream out(newest, std::ios::binary | std::ios::app);
  const char torn[] =
      "\x11\x22\x33\x44\x55\x66\x77\x88\x00\x01\x00\x00\x01\x00\x00\x00PARTIAL";
  out.write(torn, sizeof torn - 1);
}

void pause_briefly() { std::this_thread::sleep_for(std::chrono::milliseconds(400)); }

void tour(const Globals& g) {
  step("1. the personal-assistant app's directory: its lists, two backups, no journal");
  std::string older_backup = write_app_directory(g.dir);
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(g.dir)) {
    if (entry.is_regular_file())
      files.push_back(fs::relative(entry.path(), g.dir).string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) std::cout << "  " << file << "\n";
  step(
      "2. adopt it: every file kept under backups/adopted/, each backup a commit at its "
      "time, the current lists the last commit");
  run_adopt(g, {});
  step("3. the contacts as the app had them at its older backup (list --at)");
  ListArgs contacts_then;
  contacts_then.collection = "contacts";
  contacts_then.at = older_backup;
  run_list(g, contacts_then);
  {
    auto store = open_writable(g);
    step("4. edit them over a few seconds: every edit is one durable, numbered commit");
    std::cout << "seq " << store->patch("contacts", "bob", R"({"phone":"555-0102"})").seq
              << ": bob gets a phone number\n";
    pause_briefly();
    std::cout << "seq "
              << store->put("notes", "call-bob", R"({"text":"call Bob on Friday"})").seq
              << ": a new note\n";
    pause_briefly();
  }
  int64_t before_edit = system_now_ns();
  pause_briefly();
  {
    auto store = open_writable(g);
    std::cout
        << "seq "
        << store->patch("contacts", "alice", R"({"email":"alice@work.example.com"})").seq
        << ": alice's email changes (the edit we will undo)\n";
    pause_briefly();
    std::cout << "seq " << store->remove("notes", "groceries").seq
              << ": a note is deleted\n";
  }
  step(
      "5. compact: a snapshot of every collection in backups/, readable JSON state "
      "files");
  run_compact(g);
  step(
      "6. inspect: segments, sequence and time range, snapshots, commits per collection");
  run_inspect(g, {});
  step("7. backups: the snapshots, with their time, sequence number and size");
  run_backups(g);
  step(
      "8. a crash in the middle of an append leaves a torn record: verify sees it (exit "
      "3)");
  tear_tail(g.dir);
  int code = run_verify(g);
  std::cout << "verify exit code: " << code << "\n";
  step("9. reopening cuts the torn tail (recovery mode tolerate-tail) and logs it");
  std::cout << open_writable(g)->recovery().summary() << "\n";
  code = run_verify(g);
  std::cout << "verify exit code: " << code << "\n";
  step("10. restore to the moment before alice's email changed: one new commit");
  run_restore(g, {format_time_ns(before_edit), "", false, false});
  run_get(g, "contacts", "alice", "");
  step("11. the history of alice: every version with its sequence number and time");
  run_history(g, "contacts", "alice");
}

}  // namespace

int run_demo(const Globals& g) {
  Globals demo = g;
  demo.json = false;
  bool throwaway = g.dir.empty();
  if (throwaway) {
    std::string pattern = (fs::temp_directory_path() / "pa-journal-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw IoError("cannot create a temporary directory");
    demo.dir = pattern + "/store";
  } else if (fs::exists(demo.dir)) {
    throw InvalidInputError(demo.dir + " exists; the demo needs a new directory");
  }
  std::cout << "pa-journal demo on " << demo.dir
            << (throwaway ? " (removed afterwards)" : "") << "\n";
  try {
    tour(demo);
  } catch (...) {
    if (throwaway) fs::remove_all(fs::path(demo.dir).parent_path());
    throw;
  }
  if (throwaway) fs::remove_all(fs::path(demo.dir).parent_path());
  std::cout << "\ndemo done.\n";
  return kExitOk;
}

}  // namespace pa_journal::cli
