// Older snapshots compressed with zstd: once a newer snapshot exists, the
// collection files of an older one are rewritten as standard zstd frames
// ("contacts_<id>.json.zst", which zstdcat reads) and its manifest names
// them. The manifest keeps the size and XXH3 of the JSON text, which stay
// the check; stored_bytes is the compressed file's size. The newest snapshot
// stays plain JSON (its files are the readable state files' second names).
//
// Crash-safety argument (compress_snapshot)
// -----------------------------------------
// The manifest is rewritten atomically (temporary, fsync, rename, fsync of
// backups/) at each step, and always lists files that are present and whole:
// 1. The manifest, still listing the plain files, names the compressed files
//    to come in pending_files: they are the store's before they exist.
// 2. Each compressed file is written to a temporary name, fsynced and
//    renamed (or, when another snapshot holds the same text compressed, that
//    file is linked under the temporary name and renamed); backups/ fsynced.
// 3. The manifest names the compressed files, and the plain files they
//    replace in pending_files. From here the snapshot is the compressed one.
// 4. The plain files are removed; backups/ fsynced.
// 5. The manifest is written without pending_files.
// A crash before 3 leaves the manifest of 1: the plain snapshot, whole; the
// next clean-up (remove_leftovers) removes the compressed files and
// temporaries pending_files names, then rewrites the manifest without it. A
// crash after 3 leaves the compressed snapshot, whole; clean-up removes the
// plain files pending_files names. Clean-up never removes a file a valid
// manifest lists as one of its files, and removes nothing a manifest does
// not name: a file the store did not write is never touched.
//
// Thread-safety: as catalogue.h; the caller holds journal/READERS exclusive
// while compressing, as for retention, since the plain files go.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pa_journal/file_system.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

// text as one zstd frame that records its size and a checksum.
std::string zstd_compress(std::string_view text);

// The text of a zstd frame of exactly bytes bytes. Throws CorruptedDataError
// naming file if frame is not such a frame (damaged, truncated, another size).
std::string zstd_decompress(std::string_view frame, uint64_t bytes,
                            const std::string& file);

// The JSON text of f from the bytes stored for it (data, read from
// backups/f.file), decompressed if f is compressed, checked against the
// manifest: the stored size, then the text's size and XXH3. Throws
// CorruptedDataError naming the file.
std::string checked_snapshot_text(const SnapshotFile& f, std::string data);

// Reads backups_dir/f.file and returns checked_snapshot_text. A file that is
// missing is damage (CorruptedDataError); one that cannot be read, IoError.
std::string read_snapshot_file(FileSystem& fs, const std::string& backups_dir,
                               const SnapshotFile& f);

// read_snapshot_file's checks without holding the text: a plain file is read
// and hashed a megabyte at a time.
void check_snapshot_file(FileSystem& fs, const std::string& backups_dir,
                         const SnapshotFile& f);

// Reads f's JSON text from backups_dir/f.file in pieces of a megabyte,
// decompressing a .json.zst as it goes, and calls on_line for each document
// line (its key unescaped) while holding one piece and one line: memory does
// not grow with the file. Then checks the stored size, the text's size and
// XXH3 against the manifest; on_line's lines are only to be trusted once it
// returns. Throws CorruptedDataError naming the file if a check fails or the
// text is not in the layout serialize_collection writes (a file of an older
// pa-journal may be JSON of another layout: read_snapshot_file reads those).
void stream_snapshot_lines(
    FileSystem& fs, const std::string& backups_dir, const SnapshotFile& f,
    const std::function<void(std::string_view key, std::string_view doc)>& on_line);
// The same over file, f's bytes as stored, already open (the fuzzer's).
void stream_snapshot_lines(
    const ReadableFile& file, const SnapshotFile& f,
    const std::function<void(std::string_view key, std::string_view doc)>& on_line);

// Compresses the plain files of snapshot info (see the argument above);
// snapshots are the others present, whose compressed files of the same text
// are linked rather than compressed again. A file whose compressed name is
// already taken stays plain. Returns the manifest as it now is.
SnapshotInfo compress_snapshot(FileSystem& fs, const std::string& backups_dir,
                               const SnapshotInfo& info,
                               const std::vector<SnapshotInfo>& snapshots);

// Compresses every snapshot but the newest that has plain files and for
// which intact holds. Returns the ids compressed. A snapshot whose files turn
// out damaged meanwhile is left as it was (clean-up undoes step 1).
std::vector<std::string> compress_older_snapshots(
    FileSystem& fs, const std::string& backups_dir,
    const std::function<bool(const SnapshotInfo&)>& intact);

}  // namespace pa_journal
