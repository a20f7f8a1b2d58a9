#include "snapshot/snapshot.h"

#include <nlohmann/json.hpp>

#include "journal/record_codec.h"
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
  }
  return {{"format", info.format},
          {"version", kSnapshotFormatVersion},
          {"id", info.id},
          {"seq", info.seq},
          {"time", format_time_ns(info.time_ns)},
          {"time_ns", info.time_ns},
          {"files", files}};
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
    info.files.push_back({f.at("collection").get<std::string>(),
                          f.at("file").get<std::string>(), f.at("bytes").get<uint64_t>(),
                          parse_hex64(f.at("xxh3").get<std::string>()),
                          f.at("documents").get<uint64_t>()});
  }
  return info;
}

}  // namespace

uint64_t SnapshotInfo::bytes() const {
  uint64_t total = 0;
  for (const auto& f : files) total += f.bytes;
  return total;
}

std::string serialize_collection(const Collection& collection) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, doc] : collection) {
    out += first ? "\n  " : ",\n  ";
    first = false;
    out += json(key).dump(-1, ' ', false, json::error_handler_t::strict);
    out += ": ";
    out += doc;
  }
  out += first ? "}\n" : "\n}\n";
  return out;
}

Collection parse_collection(std::string_view text, const std::string& file) {
  try {
    json parsed = json::parse(text);
    if (!parsed.is_object()) throw CorruptedDataError(file + ": not a JSON object", file);
    Collection out;
    for (auto& [key, doc] : parsed.items()) out.emplace(key, doc.dump());
    return out;
  } catch (const json::exception& e) {
    throw CorruptedDataError(file + ": " + e.what(), file);
  }
}

std::string serialize_manifest(const SnapshotInfo& info) {
  json body = manifest_body(info);
  body["checksum"] = hex64(checksum(body.dump()));
  return body.dump(2) + "\n";
}

SnapshotInfo parse_manifest(std::string_view text, const std::string& file) {
  try {
    json body = json::parse(text);
    std::string stored = body.at("checksum").get<std::string>();
    body.erase("checksum");
    if (parse_hex64(stored) != checksum(body.dump())) {
      throw CorruptedDataError(file + ": manifest checksum mismatch", file);
    }
    if (body.at("version").get<int>() != kSnapshotFormatVersion) {
      throw CorruptedDataError(file + ": unsupported snapshot format version", file);
    }
    return read_body(body);
  } catch (const json::exception& e) {
    throw CorruptedDataError(file + ": not a valid manifest: " + e.what(), file);
  }
}

}  // namespace pa_journal
