// The contenders of the benchmark, each behind the same Contender interface:
// pa-journal in each durability mode, SQLite, the seed's whole-file rewrite
// and the bare disk. Each commits one 200-byte document under one key.
#pragma once

#include <memory>
#include <string>

#include "pa_journal/options.h"
#include "pa_journal/store.h"
#include "tools/bench/measure.h"

namespace pa_journal::bench {

// A peer owns its files and connection; its contender calls back into it, so
// it must outlive the contender.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual Contender contender(const Workload& workload) = 0;
  // Writes every document of the workload once, before anything is measured.
  virtual void populate(const Workload& workload) = 0;
};

// pa-journal: Store::put, one commit per document.
class StorePeer : public Peer {
 public:
  StorePeer(const std::string& dir, Durability durability, bool auto_compact = true);
  StorePeer(const std::string& dir, const Options& options);
  Contender contender(const Workload& workload) override;
  void populate(const Workload& workload) override;
  Store& store() { return *store_; }
  void close() { store_.reset(); }

 private:
  Durability durability_;
  std::unique_ptr<Store> store_;
};

// Puts every document of workload into store, `per_commit` per commit.
void populate_store(Store& store, const Workload& workload, size_t per_commit = 10000);

// SQLite in WAL mode: one table (key primary key, doc text), an upsert per
// document, rows_per_txn upserts per transaction. Null if this build has no
// SQLite.
enum class Synchronous { kFull, kNormal };
std::unique_ptr<Peer> make_sqlite_peer(const std::string& path, Synchronous sync,
                                       int rows_per_txn);
bool have_sqlite();
std::string sqlite_version();

// The seed's design (the personal-assistant app's FileStorage): the whole list kept in
// memory as JSON; each save copies the current file to a timestamped backup
// (keeping the newest 10), writes the whole list (indent 2, sorted keys) to a
// temporary file, fsyncs it and renames it over the file.
std::unique_ptr<Peer> make_seed_peer(const std::string& dir);

// The physical limit: append key and document to one file with write(2),
// followed by fdatasync(2) if durable.
std::unique_ptr<Peer> make_disk_peer(const std::string& path, bool durable);

// The ceiling for a durable single writer: one 4 KiB O_DIRECT|O_DSYNC write
// per commit into blocks written and synced beforehand (pwrite + fdatasync
// where O_DIRECT is refused). Nothing that makes each commit durable before
// the next can be faster on the same disk.
std::unique_ptr<Peer> make_disk_overwrite_peer(const std::string& path);

}  // namespace pa_journal::bench
