#include "replication/snapshot_bundle.h"

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "snapshot/compression.h"

namespace pa_journal::replication {
namespace {

constexpr size_t kHeaderBytes = 16;  // magic, version, count
constexpr size_t kTrailerBytes = 8;  // xxh3

void append_u32(std::string* out, uint32_t v) {
  char buf[4];
  put_u32(buf, v);
  out->append(buf, 4);
}

void append_u64(std::string* out, uint64_t v) {
  char buf[8];
  put_u64(buf, v);
  out->append(buf, 8);
}

void append_file(std::string* out, std::string_view name, std::string_view data) {
  append_u32(out, static_cast<uint32_t>(name.size()));
  out->append(name);
  append_u64(out, data.size());
  out->append(data);
}

// The manifest as the bundle carries it (see the header).
SnapshotInfo bundle_manifest(const SnapshotInfo& info) {
  SnapshotInfo plain = info;
  plain.pending_files.clear();
  for (SnapshotFile& f : plain.files) {
    f.file = snapshot_file_name(f.collection, info.id);
    f.index.clear();
    f.stored_bytes = 0;
  }
  return plain;
}

// Reads the bundle's fields in order; every length is checked before use.
class BundleReader {
 public:
  BundleReader(std::string_view data, const std::string& where)
      : data_(data), where_(where) {}
  std::string_view take(uint64_t n) {
    if (n > data_.size() - pos_)
      fail("ends inside a field at byte " + std::to_string(pos_));
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint32_t u32() { return get_u32(take(4).data()); }
  uint64_t u64() { return get_u64(take(8).data()); }
  bool at_end() const { return pos_ == data_.size(); }
  [[noreturn]] void fail(const std::string& why) const {
    throw CorruptedDataError("snapshot bundle " + where_ + " " + why, where_, pos_);
  }

 private:
  std::string_view data_;
  const std::string& where_;
  size_t pos_ = 0;
};

}  // namespace

std::string pack_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const SnapshotInfo& info) {
  SnapshotInfo plain = bundle_manifest(info);
  std::string out(kBundleMagic);
  append_u32(&out, kBundleVersion);
  append_u32(&out, static_cast<uint32_t>(1 + info.files.size()));
  append_file(&out, manifest_name(info.id), serialize_manifest(plain));
  for (size_t i = 0; i < info.files.size(); ++i) {
    append_file(&out, plain.files[i].file,
                read_snapshot_file(fs, backups_dir, info.files[i]));
  }
  append_u64(&out, checksum(out));
  return out;
}

Bundle unpack_bundle(std::string_view bundle, const std::string& where) {
  BundleReader reader(bundle, where);
  if (bundle.size() < kHeaderBytes + kTrailerBytes) reader.fail("is too short");
  std::string_view body = bundle.substr(0, bundle.size() - kTrailerBytes);
  if (checksum(body) != get_u64(bundle.data() + body.size())) {
    reader.fail("fails its checksum");
  }
  BundleReader fields(body, where);
  if (fields.take(kBundleMagic.size()) != kBundleMagic)
    fields.fail("has no bundle magic");
  if (fields.u32() != kBundleVersion)
    fields.fail("has a version this reader does not know");
  uint32_t count = fields.u32();
  Bundle out;
  for (uint32_t i = 0; i < count; ++i) {
    std::string name(fields.take(fields.u32()));
    out.files.emplace_back(std::move(name), std::string(fields.take(fields.u64())));
  }
  if (!fields.at_end() || out.files.empty()) fields.fail("holds bytes past its files");
  auto& [manifest, text] = out.files.front();
  out.info = parse_manifest(text, where + ": " + manifest);
  if (manifest != manifest_name(out.info.id))
    fields.fail("does not start with its manifest");
  out.manifest_text = std::move(text);
  out.files.erase(out.files.begin());
  if (out.files.size() != out.info.files.size())
    fields.fail("holds other files than its manifest names");
  for (size_t i = 0; i < out.files.size(); ++i) {
    const SnapshotFile& f = out.info.files[i];
    if (out.files[i].first != f.file || f.compressed()) {
      fields.fail("holds " + out.files[i].first + " where its manifest names " + f.file);
    }
    out.files[i].second = checked_snapshot_text(f, std::move(out.files[i].second));
  }
  return out;
}

std::vector<std::string_view> cut_chunks(std::string_view bundle, size_t max_bytes) {
  std::vector<std::string_view> chunks;
  for (size_t pos = 0; pos < bundle.size(); pos += max_bytes) {
    chunks.push_back(bundle.substr(pos, max_bytes));
  }
  if (chunks.empty()) chunks.push_back(bundle);
  return chunks;
}

}  // namespace pa_journal::replication
