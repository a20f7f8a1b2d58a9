#include "snapshot/compression.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <memory>

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "snapshot/catalogue.h"
#include "snapshot/file_links.h"
#include "snapshot/key_index.h"

namespace pa_journal {
namespace {

CorruptedDataError damaged(const SnapshotFile& f, const std::string& what) {
  return CorruptedDataError(in_backups(f.file) + ": " + what, in_backups(f.file));
}

// zstd's default: about as fast as the disk writes, a few times smaller.
constexpr int kCompressionLevel = 3;
// What a file is read in: small enough to stay in cache while it is hashed
// and compressed, large enough that each read costs little.
constexpr size_t kPiece = 1 << 20;

using Zstd = std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)>;

// A compression context for one frame that records its size (pledged, for a
// frame written in pieces) and a checksum.
Zstd new_compressor(uint64_t pledged_bytes) {
  Zstd cctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  if (!cctx) throw std::bad_alloc();
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kCompressionLevel);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setPledgedSrcSize(cctx.get(), pledged_bytes);
  return cctx;
}

void check_zstd(size_t result) {
  if (ZSTD_isError(result)) {
    throw StorageError(std::string("zstd compression failed: ") +
                       ZSTD_getErrorName(result));
  }
}

// The plain file f read in pieces, each handed to on_piece (if set) as it
// is read; then its size and XXH3 are checked against the manifest
// (CorruptedDataError naming the file): nothing on_piece got is to be trusted
// before this returns. A missing file is damage; one that does not read,
// IoError.
void read_plain_checked(FileSystem& fs, const std::string& backups_dir,
                        const SnapshotFile& f,
                        const std::function<void(std::string_view)>& on_piece) {
  std::string path = join_path(backups_dir, f.file);
  if (!fs.exists(path)) throw damaged(f, "missing");
  auto file = fs.open_readable(path);
  if (file->size() != f.bytes) {
    throw damaged(f, std::to_string(file->size()) + " bytes, the manifest says " +
                         std::to_string(f.bytes));
  }
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                &XXH3_freeState);
  if (!hash) throw std::bad_alloc();
  XXH3_64bits_reset(hash.get());
  for (uint64_t at = 0; at < f.bytes; at += kPiece) {
    std::string piece = file->read_at(at, std::min<uint64_t>(kPiece, f.bytes - at));
    XXH3_64bits_update(hash.get(), piece.data(), piece.size());
    if (on_piece) on_piece(piece);
  }
  if (XXH3_64bits_digest(hash.get()) != f.xxh3) throw damaged(f, "checksum mismatch");
}

// The plain file f compressed into file, a piece at a time as it is read,
// as one zstd frame; returns its size. A check that fails
// (CorruptedDataError) leaves file to be thrown away.
uint64_t compress_into(FileSystem& fs, const std::string& backups_dir,
                       const SnapshotFile& f, WritableFile& file) {
  uint64_t written = 0;
  Zstd cctx = new_compressor(f.bytes);
  std::string out(ZSTD_CStreamOutSize(), '\0');
  auto drain = [&](std::string_view piece, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{piece.data(), piece.size(), 0};
    size_t left = 1;
    while (in.pos < in.size || (mode == ZSTD_e_end && left != 0)) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      left = ZSTD_compressStream2(cctx.get(), &o, &in, mode);
      check_zstd(left);
      if (o.pos > 0) file.append(std::string_view(out.data(), o.pos));
      written += o.pos;
    }
  };
  read_plain_checked(fs, backups_dir, f,
                     [&drain](std::string_view piece) { drain(piece, ZSTD_e_continue); });
  drain({}, ZSTD_e_end);
  return written;
}

// A file of another snapshot holding the same text compressed, if present
// with its recorded size: linked instead of compressing the text again.
std::optional<std::string> same_text_compressed(
    FileSystem& fs, const std::string& backups_dir, const SnapshotFile& f,
    const std::vector<SnapshotInfo>& snapshots, uint64_t* stored_bytes) {
  for (const SnapshotInfo& s : snapshots) {
    for (const SnapshotFile& g : s.files) {
      if (!g.compressed() || g.collection != f.collection || g.xxh3 != f.xxh3 ||
          g.bytes != f.bytes) {
        continue;
      }
      // Checked first: the plain file goes once the link replaces it.
      std::string path = join_path(backups_dir, g.file);
      try {
        checked_snapshot_text(g, fs.read_file(path));
      } catch (const StorageError&) {
        continue;
      }
      *stored_bytes = g.stored_bytes;
      return path;
    }
  }
  return std::nullopt;
}

// Step 2 for one file: path made the compressed form of text (not yet
// synced into the directory). Returns its size.
uint64_t write_compressed(FileSystem& fs, const std::string& backups_dir,
                          const std::string& path, const SnapshotFile& f,
                          const std::vector<SnapshotInfo>& snapshots) {
  uint64_t stored = 0;
  std::optional<std::string> same =
      same_text_compressed(fs, backups_dir, f, snapshots, &stored);
  std::string temp = temp_file_name(path);
  if (fs.exists(temp)) fs.remove(temp);  // vouched for by pending_files (step 1)
  if (same && try_link(fs, *same, temp)) {
    fs.rename(temp, path);
    return stored;
  }
  // The text is checked as it is read; the compressed file gets its name
  // only once the check passed (write_file_via_temp renames after fill).
  write_file_via_temp(fs, path, [&](WritableFile& file) {
    stored = compress_into(fs, backups_dir, f, file);
  });
  return stored;
}

void write_manifest(FileSystem& fs, const std::string& backups_dir,
                    const SnapshotInfo& info) {
  write_file_atomically(fs, manifest_file_name(backups_dir, info.id),
                        serialize_manifest(info));
}

// Splits text given in pieces into document lines for on_line: the first
// line ("{") and the last ("}") are the layout's, every other one a document.
class LineSplitter {
 public:
  LineSplitter(const std::string& file,
               const std::function<void(std::string_view, std::string_view)>& on_line)
      : file_(file), on_line_(on_line) {}
  void add(std::string_view piece) {
    while (!piece.empty()) {
      size_t nl = piece.find('\n');
      size_t take = nl == std::string_view::npos ? piece.size() : nl + 1;
      line_.append(piece.substr(0, take));
      piece.remove_prefix(take);
      if (nl != std::string_view::npos) end_line();
    }
  }
  void finish() {
    if (!line_.empty() && line_ != "}" && line_ != "{}") end_line();
  }

 private:
  void end_line() {
    if (lines_++ == 0) {
      if (line_ != "{\n" && line_ != "{}\n")
        throw CorruptedDataError(file_ + ": not in the layout of a collection file",
                                 file_);
    } else if (line_ != "}\n") {
      for (const auto& [key, doc] : parse_block(line_, file_)) on_line_(key, doc);
    }
    line_.clear();
  }
  const std::string& file_;
  const std::function<void(std::string_view, std::string_view)>& on_line_;
  std::string line_;
  uint64_t lines_ = 0;
};

}  // namespace

void stream_snapshot_lines(
    FileSystem& fs, const std::string& backups_dir, const SnapshotFile& f,
    const std::function<void(std::string_view key, std::string_view doc)>& on_line) {
  stream_snapshot_lines(*fs.open_readable(join_path(backups_dir, f.file)), f, on_line);
}

void stream_snapshot_lines(
    const ReadableFile& file, const SnapshotFile& f,
    const std::function<void(std::string_view key, std::string_view doc)>& on_line) {
  const std::string name = in_backups(f.file);
  if (file.size() != (f.compressed() ? f.stored_bytes : f.bytes))
    throw damaged(f, "not the size its manifest records");
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                &XXH3_freeState);
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> zstd(ZSTD_createDStream(),
                                                                  &ZSTD_freeDStream);
  if (!hash || !zstd) throw std::bad_alloc();
  XXH3_64bits_reset(hash.get());
  LineSplitter lines(name, on_line);
  uint64_t text_bytes = 0;
  auto text = [&](std::string_view piece) {
    XXH3_64bits_update(hash.get(), piece.data(), piece.size());
    text_bytes += piece.size();
    if (text_bytes > f.bytes) throw damaged(f, "longer than its manifest records");
    lines.add(piece);
  };
  std::string out(f.compressed() ? ZSTD_DStreamOutSize() : 0, '\0');
  size_t last = 1;  // zstd: 0 once a frame is whole
  for (uint64_t at = 0; at < file.size(); at += kPiece) {
    std::string piece = file.read_at(at, std::min<uint64_t>(kPiece, file.size() - at));
    if (!f.compressed()) {
      text(piece);
      continue;
    }
    ZSTD_inBuffer in{piece.data(), piece.size(), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      last = ZSTD_decompressStream(zstd.get(), &o, &in);
      if (ZSTD_isError(last))
        throw damaged(
            f, std::string("damaged zstd frame (") + ZSTD_getErrorName(last) + ")");
      text(std::string_view(out.data(), o.pos));
    }
  }
  if (f.compressed() && last != 0) throw damaged(f, "a zstd frame cut short");
  lines.finish();
  if (text_bytes != f.bytes || XXH3_64bits_digest(hash.get()) != f.xxh3)
    throw damaged(f, "checksum mismatch against its manifest");
}

std::string zstd_compress(std::string_view text) {
  Zstd cctx = new_compressor(text.size());
  std::string out(ZSTD_compressBound(text.size()), '\0');
  size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), text.data(), text.size());
  check_zstd(n);
  out.resize(n);
  return out;
}

std::string zstd_decompress(std::string_view frame, uint64_t bytes,
                            const std::string& file) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size != bytes) {
    throw CorruptedDataError(
        file + ": not a zstd frame of " + std::to_string(bytes) + " bytes", file);
  }
  std::string out(bytes, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != bytes) {
    throw CorruptedDataError(
        file + ": damaged zstd frame" +
            (ZSTD_isError(n) ? std::string(" (") + ZSTD_getErrorName(n) + ")" : ""),
        file);
  }
  return out;
}

std::string checked_snapshot_text(const SnapshotFile& f, std::string data) {
  if (f.compressed()) {
    if (data.size() != f.stored_bytes) {
      throw damaged(f, std::to_string(data.size()) + " bytes, the manifest says " +
                           std::to_string(f.stored_bytes));
    }
    data = zstd_decompress(data, f.bytes, in_backups(f.file));
  }
  if (data.size() != f.bytes) {
    throw damaged(f, std::to_string(data.size()) + " bytes, the manifest says " +
                         std::to_string(f.bytes));
  }
  if (checksum(data) != f.xxh3) throw damaged(f, "checksum mismatch");
  return data;
}

void check_snapshot_file(FileSystem& fs, const std::string& backups_dir,
                         const SnapshotFile& f) {
  if (f.compressed()) {
    read_snapshot_file(fs, backups_dir, f);
  } else {
    read_plain_checked(fs, backups_dir, f, nullptr);
  }
}

std::string read_snapshot_file(FileSystem& fs, const std::string& backups_dir,
                               const SnapshotFile& f) {
  std::string path = join_path(backups_dir, f.file);
  if (!fs.exists(path)) {
    throw CorruptedDataError(in_backups(f.file) + " is missing", in_backups(f.file));
  }
  return checked_snapshot_text(f, fs.read_file(path));
}

SnapshotInfo compress_snapshot(FileSystem& fs, const std::string& backups_dir,
                               const SnapshotInfo& info,
                               const std::vector<SnapshotInfo>& snapshots) {
  std::vector<size_t> plain;
  SnapshotInfo announced = info;  // step 1
  for (size_t i = 0; i < info.files.size(); ++i) {
    const SnapshotFile& f = info.files[i];
    std::string name = compressed_snapshot_file_name(f.collection, info.id);
    if (f.compressed() || fs.exists(join_path(backups_dir, name))) continue;
    plain.push_back(i);
    announced.pending_files.push_back(name);
  }
  if (plain.empty()) return info;
  write_manifest(fs, backups_dir, announced);
  SnapshotInfo done = info;  // step 3
  done.pending_files.clear();
  for (size_t i : plain) {
    SnapshotFile& f = done.files[i];
    std::string name = compressed_snapshot_file_name(f.collection, info.id);
    f.stored_bytes =
        write_compressed(fs, backups_dir, join_path(backups_dir, name), f, snapshots);
    done.pending_files.push_back(f.file);
    f.file = name;
    // A key index serves only the plain text (lazy opens read blocks of it):
    // it goes with the plain file.
    if (!f.index.empty()) done.pending_files.push_back(f.index);
    f.index.clear();
  }
  fs.sync_dir(backups_dir);
  write_manifest(fs, backups_dir, done);
  for (const std::string& name : done.pending_files)  // step 4
    fs.remove(join_path(backups_dir, name));
  fs.sync_dir(backups_dir);
  done.pending_files.clear();  // step 5
  write_manifest(fs, backups_dir, done);
  return done;
}

std::vector<std::string> compress_older_snapshots(
    FileSystem& fs, const std::string& backups_dir,
    const std::function<bool(const SnapshotInfo&)>& intact) {
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups_dir);
  std::vector<std::string> out;
  for (size_t i = 1; i < snapshots.size(); ++i) {
    SnapshotInfo& s = snapshots[i];
    bool plain = false;
    for (const auto& f : s.files) plain = plain || !f.compressed();
    if (!plain || !intact(s)) continue;
    try {
      s = compress_snapshot(fs, backups_dir, s, snapshots);
      out.push_back(s.id);
    } catch (const CorruptedDataError&) {
      remove_leftovers(fs, backups_dir);  // back to the plain manifest
    }
  }
  return out;
}

}  // namespace pa_journal
