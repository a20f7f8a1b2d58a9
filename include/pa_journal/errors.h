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
#include <utility>

namespace pa_journal {

// A way past an error that the library leaves to its caller to phrase: the
// message says what is wrong in the library's terms and names no tool, and a
// caller with an option for the cure (the command-line tool) adds it.
struct Remedy {
  enum class Kind {
    kNone,
    kOverwrite,          // an output file exists: let the write replace it
    kAdoptToMakeStore,   // subject holds the app's files and no store: adopt it
    kAdoptToFinish,      // an adoption of subject did not finish: adopt again
    kAdoptAppFiles,      // subject holds JSON files and no store yet: adopt it
    kSkipDamaged,        // a file of the app is damaged: adopt skipping it
    kImportInstead,      // adopt was asked of a store: import the files
    kAcceptEditsExport,  // an export's manifest fails its checksum: accept edits
    kAcceptEditsFile,    // an export's file differs from its manifest: accept edits
    kAcceptEditsAdded,   // a NAME.json not in the export: accept edits
    kSalvageReplay,      // salvage cannot repair in place: read it read-only
    kVerifySaysMore,     // stored damage stopped the work: a verification tells it all
  };
  Kind kind = Kind::kNone;
  std::string subject;  // the directory the remedy acts on, where it takes one
};

// Base of every error the store reports.
class StorageError : public std::runtime_error {
 public:
  explicit StorageError(const std::string& what, Remedy remedy = {})
      : std::runtime_error(what), remedy_(std::move(remedy)) {}
  const Remedy& remedy() const { return remedy_; }

 private:
  Remedy remedy_;
};

// Stored bytes failed a check (checksum, framing, sequence chain, snapshot
// manifest). The message names the file, the byte offset and, where known, the
// sequence number.
class CorruptedDataError : public StorageError {
 public:
  CorruptedDataError(const std::string& what, std::string file = {}, uint64_t offset = 0,
                     uint64_t seq = 0, Remedy remedy = {})
      : StorageError(what, std::move(remedy)),
        file_(std::move(file)),
        offset_(offset),
        seq_(seq) {}
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

// A compare-and-set commit refused, nothing appended (docs/design.md,
// "Compare-and-set"): an operation's if_seq (pa_journal/record.h) expected
// the document unchanged since that seq, or (0) absent, and it was not. seq()
// is when the store last knew it to change: the document's last change (for
// a document loaded from a snapshot, that snapshot's seq), or for an absent
// one the newest delete in its collection. Read the document again and retry.
class ConflictError : public StorageError {
 public:
  ConflictError(const std::string& what, std::string collection, std::string key,
                uint64_t seq)
      : StorageError(what),
        collection_(std::move(collection)),
        key_(std::move(key)),
        seq_(seq) {}
  const std::string& collection() const { return collection_; }
  const std::string& key() const { return key_; }
  uint64_t seq() const { return seq_; }

 private:
  std::string collection_;
  std::string key_;
  uint64_t seq_;
};

// The journal stopped accepting writes after a failed write or sync. Nothing
// committed after the failure was acknowledged; reopening the store recovers
// from what is durable.
class JournalFailedError : public StorageError {
 public:
  using StorageError::StorageError;
};

// Replication (docs/replication.md) could not go on: no server answered in
// time (unavailable()), or the stream refused (it holds another store, its
// last sequence was not the one expected, it rejected a message). Nothing the
// store acknowledged is lost: shipping resumes from what the stream
// acknowledged.
class ReplicationError : public StorageError {
 public:
  explicit ReplicationError(const std::string& what, bool unavailable = false)
      : StorageError(what), unavailable_(unavailable) {}
  // Whether trying again later may help (servers down or unreachable).
  bool unavailable() const { return unavailable_; }

 private:
  bool unavailable_;
};

// A key for sealing what leaves the machine is missing, unreadable or wrong:
// the message names the key file (or says a passphrase) and the stream.
class KeyError : public StorageError {
 public:
  using StorageError::StorageError;
};

}  // namespace pa_journal
