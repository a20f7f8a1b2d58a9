// The store's background shipper (Options::replication; docs/replication.md,
// "Shipping"): a thread that runs ReplicationTarget::follow for a writable
// Store, so that the app that commits also ships, and keeps the last status
// for Store::replication_status().
//
// The app's commits never see replication: the thread only reads the journal
// (as any reader beside the writer), and its errors are written to
// storage.log and into the status, never thrown. While no server answers it
// retries with backoff (the lag grows, commits go on); any other error (a
// wrong key, another store's stream, another shipper holding the stream's
// lock) ends the thread, and the status says why (running false).
//
// Stopping (the destructor, which Store's runs first): the stop is requested
// and the thread joined. The shipper checks the stop between batches and in
// every wait, so a close waits at most for the one request in flight, which
// ReplicationOptions::timeout_ms bounds (and, while connecting, the connect
// timeout per server of the URL).
//
// Thread-safety: status() may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "journal/mutex.h"
#include "pa_journal/file_system.h"
#include "pa_journal/replication_options.h"
#include "store/storage_log.h"

namespace pa_journal {

class BackgroundShipper {
 public:
  // Starts the thread; log must outlive the shipper.
  BackgroundShipper(std::string dir, ReplicationOptions options,
                    std::shared_ptr<FileSystem> fs, StorageLog* log);
  ~BackgroundShipper();
  BackgroundShipper(const BackgroundShipper&) = delete;
  BackgroundShipper& operator=(const BackgroundShipper&) = delete;

  ReplicationStatus status() const EXCLUDES(mu_);

 private:
  void run(std::stop_token stop);
  void update(const ReplicationStatus& status) EXCLUDES(mu_);
  void fail(const std::string& what) EXCLUDES(mu_);

  const std::string dir_;
  const ReplicationOptions options_;
  const std::shared_ptr<FileSystem> fs_;
  StorageLog* const log_;
  mutable Mutex mu_;
  ReplicationStatus status_ GUARDED_BY(mu_);
  std::jthread thread_;  // last: started once every member above is made
};

}  // namespace pa_journal
