// SQLite as a contender (only when the build found SQLite3).
#include <stdexcept>

#include "tools/bench/contenders.h"

#ifdef PA_BENCH_HAVE_SQLITE
#include <sqlite3.h>
#endif

namespace pa_journal::bench {

#ifdef PA_BENCH_HAVE_SQLITE

namespace {

class SqlitePeer : public Peer {
 public:
  SqlitePeer(const std::string& path, Synchronous sync, int rows_per_txn)
      : sync_(sync), rows_per_txn_(rows_per_txn < 1 ? 1 : rows_per_txn) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) check(SQLITE_ERROR, "open");
    exec("PRAGMA journal_mode=WAL");
    exec(sync == Synchronous::kFull ? "PRAGMA synchronous=FULL"
                                    : "PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS contacts (key TEXT PRIMARY KEY, doc TEXT NOT NULL)");
    check(sqlite3_prepare_v2(db_,
                             "INSERT INTO contacts (key, doc) VALUES (?1, ?2) "
                             "ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
                             -1, &upsert_, nullptr),
          "prepare");
  }

  ~SqlitePeer() override {
    if (in_txn_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_finalize(upsert_);
    sqlite3_close(db_);
  }

  void populate(const Workload& workload) override {
    exec("BEGIN");
    for (uint64_t d = 0; d < workload.docs(); ++d) {
      upsert(workload.key(d), workload.document(d));
    }
    exec("COMMIT");
  }

  Contender contender(const Workload& workload) override {
    Contender c;
    std::string sync = sync_ == Synchronous::kFull ? "full" : "normal";
    c.id = "sqlite-" + sync + "-" + std::to_string(rows_per_txn_);
    c.label = "SQLite WAL " + sync + ", " + std::to_string(rows_per_txn_) +
              (rows_per_txn_ == 1 ? " row/txn" : " rows/txn");
    c.commit = [this, &workload](int, uint64_t i) {
      if (rows_per_txn_ == 1) {  // autocommit: one transaction per row
        upsert(workload.key(workload.doc_for(i)), workload.document(i));
        return;
      }
      if (!in_txn_) {
        exec("BEGIN");
        in_txn_ = true;
      }
      upsert(workload.key(workload.doc_for(i)), workload.document(i));
      if (++rows_in_txn_ == rows_per_txn_) end_txn();
    };
    c.end_burst = [this] { end_txn(); };
    return c;
  }

 private:
  void end_txn() {
    if (!in_txn_) return;
    exec("COMMIT");
    in_txn_ = false;
    rows_in_txn_ = 0;
  }

  void upsert(const std::string& key, const std::string& doc) {
    sqlite3_bind_text(upsert_, 1, key.data(), static_cast<int>(key.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(upsert_, 2, doc.data(), static_cast<int>(doc.size()),
                      SQLITE_STATIC);
    int rc = sqlite3_step(upsert_);
    sqlite3_reset(upsert_);
    if (rc != SQLITE_DONE) check(rc, "upsert");
  }

  void exec(const char* sql) {
    check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), sql);
  }

  void check(int rc, const char* what) {
    if (rc == SQLITE_OK) return;
    throw std::runtime_error(std::string("sqlite ") + what + ": " +
                             (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
  }

  Synchronous sync_;
  int rows_per_txn_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  bool in_txn_ = false;
  int rows_in_txn_ = 0;
};

}  // namespace

std::unique_ptr<Peer> make_sqlite_peer(const std::string& path, Synchronous sync,
                                       int rows_per_txn) {
  return std::make_unique<SqlitePeer>(path, sync, rows_per_txn);
}
bool have_sqlite() { return true; }
std::string sqlite_version() { return sqlite3_libversion(); }

#else

std::unique_ptr<Peer> make_sqlite_peer(const std::string&, Synchronous, int) {
  return nullptr;
}
bool have_sqlite() { return false; }
std::string sqlite_version() { return {}; }

#endif

}  // namespace pa_journal::bench
