// The one error model of pa-journal. Every failure the library reports is a
// StorageError or one of its subclasses; exceptions from Cap'n Proto,
// nlohmann/json and the C library are translated into these where they arise.
//
// The names StorageError, CorruptedDataError and BackupNotFoundError come from
// the original storage specification and keep its meaning.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace pa_journal {

// Base of every error the store reports.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Stored bytes failed a check (checksum, framing, sequence chain, snapshot
// manifest). The message names the file, the byte offset and, where known, the
// sequence number.
class CorruptedDataError : public StorageError {
 public:
  CorruptedDataError(const std::string& what, std::string file = {}, uint64_t offset = 0,
                     uint64_t seq = 0)
      : StorageError(what), file_(std::move(file)), offset_(offset), seq_(seq) {}
  const std::string& file() const { return file_; }
  uint64_t offset() const { return offset_; }
  // The last good sequence number before the damage; 0 when unknown.
  uint64_t seq() const { return seq_; }

 private:
  std::string file_;
  uint64_t offset_;
  uint64_t seq_;
};

// Damage other than a torn tail that the recovery mode in use refuses, where
// point-in-time and salvage would open the store anyway (the message says so):
// a caller may offer the user those modes.
class RecoveryRefusedError : public CorruptedDataError {
 public:
  using CorruptedDataError::CorruptedDataError;
};

// A snapshot (backup) that was asked for does not exist.
class BackupNotFoundError : public StorageError {
 public:
  using StorageError::StorageError;
};

// Input refused before anything was appended: bad JSON, a bad collection or
// key name, an oversized document, a patch or delete of a missing document.
class InvalidInputError : public StorageError {
 public:
  using StorageError::StorageError;
};

// A document or collection that was asked for does not exist.
class NotFoundError : public StorageError {
 public:
  using StorageError::StorageError;
};

// Another process holds the store's LOCK file (held()), or LOCK holds
// something other than a process id, which no wait can cure (!held()).
class StoreLockedError : public StorageError {
 public:
  explicit StoreLockedError(const std::string& what, bool held = true)
      : StorageError(what), held_(held) {}
  // Whether a process holds the lock, so that waiting for it may help.
  bool held() const { return held_; }

 private:
  bool held_;
};

// A system call failed. The message names the call, the path and errno's text.
class IoError : public StorageError {
 public:
  using StorageError::StorageError;
};

// The journal stopped accepting writes after a failed write or sync. Nothing
// committed after the failure was acknowledged; reopening the store recovers
// from what is durable.
class JournalFailedError : public StorageError {
 public:
  using StorageError::StorageError;
};

}  // namespace pa_journal
