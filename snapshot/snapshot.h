// Snapshots: the state of every collection at one sequence number, written as
// human-readable JSON files in backups/ that double as timestamped backups,
// plus a manifest that makes them trustworthy later.
//
// Files of the snapshot with id 20261125_100000 (UTC; "_2", "_3"... appended
// when two snapshots fall in one second):
//   backups/contacts_20261125_100000.json   one per collection: a JSON object
//   backups/notes_20261125_100000.json      mapping each key to its document,
//                                           keys sorted, one document per line
//   backups/20261125_100000.manifest.json   written last: seq, time, format
//                                           version, every file's size and XXH3
//   backups/20261125_100000.pending.json    written first, removed after the
//                                           manifest: the files being written
//   backups/20261125_100000.removing.json   a manifest retention is removing
// The manifest is the snapshot's commit point: a snapshot without a valid
// manifest, or whose files do not match it, does not exist for the reader.
// The intent (.pending.json) and the tombstone (.removing.json) are what let
// clean-up remove only files the store wrote (snapshot/catalogue.h).
// The format is described in docs/snapshot-format.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/record.h"

namespace pa_journal {

inline constexpr int kSnapshotFormatVersion = 1;

// One collection of a snapshot. bytes and xxh3 are of the collection's JSON
// text, also when the file holds it compressed (a name ending in ".zst"):
// stored_bytes is then the compressed file's size.
struct SnapshotFile {
  std::string collection;
  std::string file;  // name inside backups/
  uint64_t bytes = 0;
  uint64_t xxh3 = 0;
  uint64_t documents = 0;
  // The key index beside file (snapshot/key_index.h), a name inside backups/;
  // empty if there is none (manifests written before indexes existed).
  std::string index;
  uint64_t stored_bytes = 0;  // compressed files only
  bool compressed() const;
};

inline constexpr const char* kSnapshotFormat = "pa-journal-snapshot";
inline constexpr const char* kExportFormat = "pa-journal-export";
inline constexpr const char* kIntentFormat = "pa-journal-snapshot-intent";

struct SnapshotInfo {
  std::string format = kSnapshotFormat;  // or kExportFormat for an export
  std::string id;                        // "20261125_100000" or "20261125_100000_2"
  uint64_t seq = 0;                      // the last record the snapshot includes
  int64_t time_ns = 0;                   // that record's commit time
  std::vector<SnapshotFile> files;
  // The readable state files ("contacts.json") in the store's directory that
  // the store wrote and may replace, as of this snapshot. Absent from exports
  // and from the manifests of versions before it was added: owned_state_files
  // (snapshot/catalogue.h) then takes the collections' files as the store's.
  std::optional<std::vector<std::string>> state_files;
  // Files in backups/ the store wrote or is writing for this snapshot that it
  // does not (or no longer) consist of: while its files are compressed, the
  // compressed files to come, then the plain files they replace. Clean-up
  // removes them (catalogue.h) and rewrites the manifest without them.
  std::vector<std::string> pending_files;
  uint64_t bytes() const;
  std::string manifest_name() const { return pa_journal::manifest_name(id); }
};

// How far a long serialization or parse is, for progress reports: documents
// serialized, or bytes of the text parsed, so far. Called now and then (every
// kDocumentsPerProgress documents), not for each one.
using ProgressCount = std::function<void(uint64_t)>;
inline constexpr uint64_t kDocumentsPerProgress = 64;

// One collection's documents in ascending key order, wherever the caller
// keeps them: a Collection (view_of), or a frozen version of the state read
// in place, without a copy (the store's compaction). for_each calls its
// visitor once per document, in key order; the strings it hands over live
// until the visitor returns. Whatever for_each reads must outlive the view
// and must not change while it is read.
using DocumentVisitor = std::function<void(const std::string& key, std::string_view doc)>;
struct CollectionView {
  uint64_t size = 0;  // the number of documents for_each visits
  std::function<void(const DocumentVisitor&)> for_each;
};
// Collection name -> its view, in name order (as Collections).
using CollectionViews = std::map<std::string, CollectionView>;
// Views of collection(s), which must outlive them.
CollectionView view_of(const Collection& collection);
CollectionViews views_of(const Collections& collections);

// One document line of a collection file as it is serialized: its key, and
// the line's bytes ('  "key": document', then ",\n" or "\n"). The bytes live
// until the callback returns.
using DocumentLineFn = std::function<void(const std::string& key, std::string_view line)>;

// The text of one collection file, and back. parse_collection throws
// CorruptedDataError if the text is not a JSON object; on_parsed, if set, hears
// the bytes parsed while it reads the layout serialize_collection writes.
std::string serialize_collection(const Collection& collection);
// The same text handed to sink in consecutive pieces of about chunk_bytes, so
// that a large collection is written without holding its whole text.
// serialized, if set, hears the documents serialized so far, all of them last.
void serialize_collection(const Collection& collection, size_t chunk_bytes,
                          const std::function<void(std::string_view)>& sink,
                          const ProgressCount& serialized = nullptr);
// The same from a view; on_line, if set, hears each document line as it is
// serialized, before the piece holding it reaches sink.
void serialize_collection(const CollectionView& collection, size_t chunk_bytes,
                          const std::function<void(std::string_view)>& sink,
                          const ProgressCount& serialized = nullptr,
                          const DocumentLineFn& on_line = nullptr);
Collection parse_collection(std::string_view text, const std::string& file,
                            const ProgressCount& on_parsed = nullptr);
// The size of serialize_collection's text, without writing it: "{}\n" for no
// documents, else this plus each document's line, the line's two-space
// indent, quoted key, ": ", document, and the ",\n" or "\n" after it (the last
// line has no comma, the "{" before the first line one byte).
inline constexpr uint64_t kEmptyCollectionFileBytes = 3;
uint64_t document_line_bytes(const std::string& key, std::string_view doc);
uint64_t collection_file_bytes(const Collection& collection);

// A manifest whose checksum holds but that this reader cannot use: a newer
// format version, a field missing or of the wrong type, a name that is not
// allowed. Damage in a snapshot the store wrote; in an export handed to
// import, content the store refuses (read_export says so).
class UnusableManifestError : public CorruptedDataError {
 public:
  using CorruptedDataError::CorruptedDataError;
};

// The manifest text (with its own checksum), and back. parse_manifest throws
// CorruptedDataError if the text is not a manifest whose checksum holds, and
// UnusableManifestError if it is one this reader cannot use.
std::string serialize_manifest(const SnapshotInfo& info);
SnapshotInfo parse_manifest(std::string_view text, const std::string& file);

// The intent backups/<id>.pending.json: the files a snapshot is about to
// write, so that a crash before its manifest leaves only files the store can
// prove it wrote. Checksummed like a manifest.
struct SnapshotIntent {
  std::string id;
  std::vector<std::string> files;  // names inside backups/
};

// The intent's text, and back. parse_intent throws CorruptedDataError unless
// the text is an intent whose checksum holds and whose files are plain names.
std::string serialize_intent(const SnapshotIntent& intent);
SnapshotIntent parse_intent(std::string_view text, const std::string& file);

}  // namespace pa_journal
