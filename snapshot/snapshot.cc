#include "snapshot/snapshot.h"

#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "journal/layout.h"
#include "journal/record_codec.h"
#include "model/validation.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {
namespace {

using nlohmann::json;

std::string hex64(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

uint64_t parse_hex64(const std::string& text) {
  if (text.size() != 16 ||
      text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw CorruptedDataError("checksum '" + text + "' is not 16 hex digits");
  }
  return std::stoull(text, nullptr, 16);
}

json manifest_body(const SnapshotInfo& info) {
  json files = json::array();
  for (const auto& f : info.files) {
    files.push_back({{"collection", f.collection},
                     {"file", f.file},
                     {"bytes", f.bytes},
                     {"xxh3", hex64(f.xxh3)},
                     {"documents", f.documents}});
    if (!f.index.empty()) files.back()["index"] = f.index;
    if (f.compressed()) files.back()["stored_bytes"] = f.stored_bytes;
  }
  json body = {{"format", info.format},
               {"version", kSnapshotFormatVersion},
               {"id", info.id},
               {"seq", info.seq},
               {"time", format_time_ns(info.time_ns)},
               {"time_ns", info.time_ns},
               {"files", files}};
  if (info.state_files) body["state_files"] = *info.state_files;
  if (!info.pending_files.empty()) body["pending_files"] = info.pending_files;
  return body;
}

// A state file's name is "<collection>.json" and becomes a path in the
// store's directory.
void check_state_file_name(const std::string& name) {
  std::optional<FileName> parsed = parse_file_name(name);
  if (!parsed || parsed->type != FileType::kStateFile) {
    throw CorruptedDataError("manifest names the state file '" + name +
                             "', which is not <collection>.json");
  }
}

// A file name inside backups/ from a manifest or an intent.
void check_plain_name(const std::string& file) {
  if (file.empty() || file.find('/') != std::string::npos || file == "." ||
      file == "..") {
    throw CorruptedDataError("manifest names the file '" + file +
                             "', which is not a plain file name");
  }
}

// body's text with its "checksum" member added: the XXH3 of the compact
// dump of every other member.
std::string with_checksum(json body) {
  body["checksum"] = hex64(checksum(body.dump()));
  return body.dump(2) + "\n";
}

// The members of a manifest or intent whose checksum holds, without it.
// Throws CorruptedDataError otherwise.
json checked_json(std::string_view text, const std::string& file) {
  if (json_nesting_depth(text) > kMaxDocumentDepth) {
    throw CorruptedDataError(file + ": not a valid manifest: nested too deep", file);
  }
  json body;
  try {
    body = json::parse(text);
    std::string stored = body.at("checksum").get<std::string>();
    body.erase("checksum");
    if (parse_hex64(stored) != checksum(body.dump())) {
      throw CorruptedDataError(file + ": manifest checksum mismatch", file);
    }
  } catch (const json::exception& e) {
    throw CorruptedDataError(file + ": not a valid manifest: " + json_error_reason(e),
                             file);
  }
  return body;
}

// A collection's name becomes a file name when the state is written out, so a
// manifest whose checksum holds must still name a valid collection, and a
// file that is a plain name in the manifest's directory.
void check_names(const SnapshotFile& f) {
  try {
    validate_collection_name(f.collection);
  } catch (const InvalidInputError& e) {
    throw CorruptedDataError(std::string("manifest names an ") + e.what());
  }
  check_plain_name(f.file);
}

SnapshotInfo read_body(const json& body) {
  SnapshotInfo info;
  info.format = body.at("format").get<std::string>();
  if (info.format != kSnapshotFormat && info.format != kExportFormat) {
    throw CorruptedDataError("unknown manifest format '" + info.format + "'");
  }
  info.id = body.at("id").get<std::string>();
  info.seq = body.at("seq").get<uint64_t>();
  info.time_ns = body.at("time_ns").get<int64_t>();
  for (const auto& f : body.at("files")) {
    // "index" is optional: manifests written before key indexes have none.
    info.files.push_back(
        {f.at("collection").get<std::string>(), f.at("file").get<std::string>(),
         f.at("bytes").get<uint64_t>(), parse_hex64(f.at("xxh3").get<std::string>()),
         f.at("documents").get<uint64_t>(), f.value("index", std::string())});
    if (!info.files.back().index.empty()) check_plain_name(info.files.back().index);
    check_names(info.files.back());
    // Optional: only a compressed file has it, and must.
    if (info.files.back().compressed())
      info.files.back().stored_bytes = f.at("stored_bytes").get<uint64_t>();
  }
  if (body.contains("pending_files")) {
    info.pending_files = body.at("pending_files").get<std::vector<std::string>>();
    for (const auto& name : info.pending_files) check_plain_name(name);
  }
  // Optional: manifests of earlier versions have none.
  if (body.contains("state_files")) {
    info.state_files = body.at("state_files").get<std::vector<std::string>>();
    for (const auto& name : *info.state_files) check_state_file_name(name);
  }
  return info;
}

// The fields of a manifest whose checksum holds: what goes wrong here is a
// manifest this reader cannot use, not damage to its bytes.
SnapshotInfo read_checked_body(const json& body, const std::string& file) {
  try {
    int version = body.at("version").get<int>();
    if (version != kSnapshotFormatVersion) {
      throw UnusableManifestError(file + ": format version " + std::to_string(version) +
                                      "; this pa-journal reads version " +
                                      std::to_string(kSnapshotFormatVersion),
                                  file);
    }
    return read_body(body);
  } catch (const UnusableManifestError&) {
    throw;
  } catch (const CorruptedDataError& e) {
    throw UnusableManifestError(file + ": " + e.what(), file);
  } catch (const json::exception& e) {
    throw UnusableManifestError(
        file + ": a field of the manifest is missing or has the wrong type (" +
            json_error_reason(e) + ")",
        file);
  }
}

// A key as a JSON string, exactly as nlohmann's dump() writes it: only '"',
// '\\' and control characters are escaped, UTF-8 is kept as is (and must be
// valid).
void append_quoted(std::string* out, const std::string& key) {
  bool ascii = true, plain = true;
  for (char ch : key) {
    unsigned char c = static_cast<unsigned char>(ch);
    ascii = ascii && c < 0x80;
    plain = plain && c >= 0x20 && c != '"' && c != '\\';
  }
  // UTF-8 is checked only where it can fail: ASCII is valid UTF-8.
  if (!plain || (!ascii && !simdjson::validate_utf8(key.data(), key.size()))) {
    *out += json(key).dump(-1, ' ', false, json::error_handler_t::strict);
    return;
  }
  *out += '"';
  *out += key;
  *out += '"';
}

// Whether valid JSON text has no whitespace outside its strings. Outside a
// string, valid JSON holds no byte at or below ' ' but whitespace; inside one,
// a backslash escapes the next byte. Valid JSON ends every string it opens.
bool compact(std::string_view doc) {
  const auto* p = reinterpret_cast<const unsigned char*>(doc.data());
  const auto* end = p + doc.size();
  while (p < end) {
    unsigned char c = *p++;
    if (c == '"') {
      // Runs of plain bytes first: each load's address must not wait on the
      // byte before it.
      for (;;) {
        while (*p != '"' && *p != '\\') ++p;
        if (*p++ == '"') break;
        ++p;
      }
    } else if (c <= ' ') {
      return false;
    }
  }
  return true;
}

// Checks documents with simdjson, which reads up to SIMDJSON_PADDING bytes past
// the end of what it parses: a document closer than that to the end of the
// file text is copied into a padded buffer first.
class DocumentChecker {
 public:
  explicit DocumentChecker(std::string_view text) : end_(text.data() + text.size()) {}

  // Whether doc (a slice of the text) is valid JSON in compact form.
  bool valid(std::string_view doc) {
    simdjson::dom::element root;
    auto error = doc.data() + doc.size() + simdjson::SIMDJSON_PADDING <= end_
                     ? parser_.parse(doc.data(), doc.size(), false).get(root)
                     : parser_.parse(simdjson::padded_string(doc)).get(root);
    return error == simdjson::SUCCESS && compact(doc);
  }

 private:
  const char* end_;
  simdjson::dom::parser parser_;
};

// Reads the quoted key at the start of line into key and removes it and the
// ": " after it from line. False for a key this reader leaves to the general
// parser: one with an escape, a control character, invalid UTF-8, or an
// empty one.
bool take_key(std::string_view* line, std::string* key) {
  if (line->size() < 2 || (*line)[0] != '"') return false;
  size_t close = line->find('"', 1);
  std::string_view raw = line->substr(1, close == std::string_view::npos ? 0 : close - 1);
  bool ascii = true;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') return false;
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  }
  if (close == std::string_view::npos || raw.empty() ||
      line->substr(close, 3) != "\": ") {
    return false;
  }
  if (!ascii && !simdjson::validate_utf8(raw.data(), raw.size())) return false;
  key->assign(raw);
  line->remove_prefix(close + 3);
  return true;
}

// The layout serialize_collection writes: "{", then one '  "key": document'
// line per document in ascending key order, each but the last ending in ',',
// then "}" (or "{}" alone). Each document is checked to be valid, compact
// JSON and kept as its text, without being parsed into a tree and dumped
// again. Returns false, with *out partly filled, for any other text, which
// the general parser then reads (hand-written files, for example).
bool parse_as_written(std::string_view text, Collection* out,
                      const ProgressCount& on_parsed) {
  if (text == "{}\n") return true;
  if (text.substr(0, 2) != "{\n" || text.size() < 5 ||
      text.substr(text.size() - 3) != "\n}\n") {
    return false;
  }
  DocumentChecker checker(text);
  std::string key;
  size_t pos = 2;
  const size_t last = text.size() - 2;  // where "}\n" starts
  while (pos < last) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    bool final_line = pos == last;
    if (line.substr(0, 2) != "  ") return false;
    line.remove_prefix(2);
    if (!final_line) {
      if (line.empty() || line.back() != ',') return false;
      line.remove_suffix(1);
    }
    if (!take_key(&line, &key) || !checker.valid(line)) return false;
    if (!out->empty() && !(out->rbegin()->first < key)) return false;
    out->emplace_hint(out->end(), key, line);
    if (on_parsed && out->size() % kDocumentsPerProgress == 0) on_parsed(pos);
  }
  return true;
}

}  // namespace

bool SnapshotFile::compressed() const { return file.ends_with(kZstdSuffix); }

uint64_t SnapshotInfo::bytes() const {
  uint64_t total = 0;
  for (const auto& f : files) total += f.bytes;
  return total;
}

CollectionView view_of(const Collection& collection) {
  return {collection.size(), [&collection](const DocumentVisitor& visit) {
            for (const auto& [key, doc] : collection) visit(key, doc);
          }};
}

CollectionViews views_of(const Collections& collections) {
  CollectionViews out;
  for (const auto& [name, collection] : collections)
    out.emplace_hint(out.end(), name, view_of(collection));
  return out;
}

// "{\n", a line per document, "}\n"; "{}\n" for none. Each line is whole in
// out when on_line hears it; out goes to sink once it holds chunk_bytes.
void serialize_collection(const CollectionView& collection, size_t chunk_bytes,
                          const std::function<void(std::string_view)>& sink,
                          const ProgressCount& serialized,
                          const DocumentLineFn& on_line) {
  uint64_t documents = 0;
  std::string out;
  out.reserve(chunk_bytes + 4096);
  out += collection.size == 0 ? "{}\n" : "{\n";
  collection.for_each([&](const std::string& key, std::string_view doc) {
    size_t start = out.size();
    out += "  ";
    append_quoted(&out, key);
    out += ": ";
    out += doc;
    out += ++documents < collection.size ? ",\n" : "\n";
    if (on_line) on_line(key, std::string_view(out).substr(start));
    if (out.size() >= chunk_bytes) {
      sink(out);
      out.clear();
    }
    if (serialized && documents % kDocumentsPerProgress == 0) serialized(documents);
  });
  if (documents != collection.size)
    throw StorageError("a collection changed size while it was serialized");
  if (documents > 0) out += "}\n";
  sink(out);
  if (serialized) serialized(documents);
}

void serialize_collection(const Collection& collection, size_t chunk_bytes,
                          const std::function<void(std::string_view)>& sink,
                          const ProgressCount& serialized) {
  serialize_collection(view_of(collection), chunk_bytes, sink, serialized);
}

uint64_t document_line_bytes(const std::string& key, std::string_view doc) {
  std::string quoted;
  append_quoted(&quoted, key);
  return 2 + quoted.size() + 2 + doc.size() + 2;
}

uint64_t collection_file_bytes(const Collection& collection) {
  uint64_t bytes = kEmptyCollectionFileBytes;
  for (const auto& [key, doc] : collection) bytes += document_line_bytes(key, doc);
  return bytes;
}

std::string serialize_collection(const Collection& collection) {
  std::string out;
  serialize_collection(collection, 1 << 20,
                       [&out](std::string_view piece) { out.append(piece); });
  return out;
}

Collection parse_collection(std::string_view text, const std::string& file,
                            const ProgressCount& on_parsed) {
  Collection out;
  if (parse_as_written(text, &out, on_parsed)) return out;
  out.clear();
  try {
    // The documents sit one level inside the collection's object.
    json parsed = parse_input_json(text, /*wrapping_levels=*/1);
    if (!parsed.is_object()) throw CorruptedDataError(file + ": not a JSON object", file);
    for (auto& [key, doc] : parsed.items()) out.emplace(key, doc.dump());
    return out;
  } catch (const InvalidInputError& e) {
    throw CorruptedDataError(file + ": " + e.what(), file);
  } catch (const json::exception& e) {
    throw CorruptedDataError(file + ": " + describe_json_error(e), file);
  }
}

std::string serialize_manifest(const SnapshotInfo& info) {
  return with_checksum(manifest_body(info));
}

SnapshotInfo parse_manifest(std::string_view text, const std::string& file) {
  return read_checked_body(checked_json(text, file), file);
}

std::string serialize_intent(const SnapshotIntent& intent) {
  return with_checksum({{"format", kIntentFormat},
                        {"version", kSnapshotFormatVersion},
                        {"id", intent.id},
                        {"files", intent.files}});
}

SnapshotIntent parse_intent(std::string_view text, const std::string& file) {
  json body = checked_json(text, file);
  SnapshotIntent intent;
  try {
    if (body.at("format").get<std::string>() != kIntentFormat ||
        body.at("version").get<int>() != kSnapshotFormatVersion) {
      throw CorruptedDataError(file + ": not a snapshot intent of version " +
                                   std::to_string(kSnapshotFormatVersion),
                               file);
    }
    intent.id = body.at("id").get<std::string>();
    intent.files = body.at("files").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    throw CorruptedDataError(file + ": not a valid intent: " + json_error_reason(e),
                             file);
  }
  for (const auto& name : intent.files) check_plain_name(name);
  return intent;
}

}  // namespace pa_journal
