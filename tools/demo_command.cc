// `pa-journal demo`: a guided tour of the store on a throwaway directory. Each
// step prints one line saying what it shows, then shows it.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "pa_journal/errors.h"
#include "pa_journal/time.h"
#include "tools/cli.h"

namespace pa_journal::cli {
namespace {

namespace fs = std::filesystem;

void step(const std::string& what) { std::cout << "\n== " << what << "\n" << std::flush; }

// A small export of sample data, so that the demo starts with `import`.
std::string write_samples(const std::string& base) {
  std::string samples = base + "/samples";
  auto store = Store::open(base + "/scratch");
  store->commit(
      {{OpKind::kPut, "contacts", "alice",
        R"({"name":"Alice Martin","email":"alice@example.com","phone":"555-0101"})"},
       {OpKind::kPut, "contacts", "bob",
        R"({"name":"Bob Chen","email":"bob@example.com"})"},
       {OpKind::kPut, "contacts", "chloe", R"({"name":"Chloé Dubois","city":"Lyon"})"},
       {OpKind::kPut, "notes", "groceries", R"({"text":"milk, eggs, bread"})"},
       {OpKind::kPut, "notes", "ideas", R"({"text":"learn the journal format"})"}});
  store->export_to(samples);
  return samples;
}

// What a crash in the middle of an append leaves: the start of a frame whose
// length runs past the end of the file.
void tear_tail(const std::string& dir) {
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(dir + "/journal")) {
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
  step("1. import sample contacts and notes from an export (checked, then one commit)");
  std::string samples = write_samples(g.dir + "-work");
  run_import(g, samples);
  {
    auto store = open_writable(g);
    step("2. edit them over a few seconds: every edit is one durable, numbered commit");
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
      "3. compact: a snapshot of every collection in backups/, readable JSON state "
      "files");
  run_compact(g);
  step(
      "4. inspect: segments, sequence and time range, snapshots, commits per collection");
  run_inspect(g, {});
  step("5. backups: the snapshots, with their time, sequence number and size");
  run_backups(g);
  step(
      "6. a crash in the middle of an append leaves a torn record: verify sees it (exit "
      "3)");
  tear_tail(g.dir);
  int code = run_verify(g);
  std::cout << "verify exit code: " << code << "\n";
  step("7. reopening cuts the torn tail (recovery mode tolerate-tail) and logs it");
  std::cout << open_writable(g)->recovery().summary() << "\n";
  code = run_verify(g);
  std::cout << "verify exit code: " << code << "\n";
  step("8. restore to the moment before alice's email changed: one new commit");
  run_restore(g, {format_time_ns(before_edit), "", false, false});
  run_get(g, "contacts", "alice", "");
  step("9. the history of alice: every version with its sequence number and time");
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
  } else if (fs::exists(demo.dir + "-work")) {
    // The demo removes its work directory afterwards: never one it did not make.
    throw InvalidInputError(demo.dir + "-work exists; the demo needs that name free");
  }
  std::cout << "pa-journal demo on " << demo.dir
            << (throwaway ? " (removed afterwards)" : "") << "\n";
  try {
    tour(demo);
  } catch (...) {
    if (throwaway) fs::remove_all(fs::path(demo.dir).parent_path());
    throw;
  }
  fs::remove_all(demo.dir + "-work");
  if (throwaway) fs::remove_all(fs::path(demo.dir).parent_path());
  std::cout << "\ndemo done.\n";
  return kExitOk;
}

}  // namespace pa_journal::cli
