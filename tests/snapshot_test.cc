// Tests of the snapshot layer: the collection file and manifest formats
// (snapshot/snapshot.h) and the catalogue in backups/ (snapshot/catalogue.h):
// loading refuses damaged snapshots, ids stay unique, retention removes
// exactly what it should, and state files are not overwritten by accident.
#include "snapshot/snapshot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "journal/record_codec.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "snapshot/catalogue.h"
#include "tests/fault_file_system.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

constexpr int64_t kTime = 1'790'000'000'000'000'000;  // 2026-09-21T14:13:20Z
constexpr int64_t kSecond = 1'000'000'000;

// Documents are stored as compact JSON, as the store canonicalises them.
std::string compact(const std::string& text) { return json::parse(text).dump(); }

std::string deep_document(int depth) {
  json doc = "bottom";
  for (int i = 0; i < depth; ++i) {
    doc = i % 2 == 0 ? json{{"level", i}, {"child", doc}} : json::array({i, doc});
  }
  return doc.dump();
}

Collection tricky_collection() {
  return {
      {"alice", compact(R"({"name":"Alice","phone":"555-0100"})")},
      {"Zoë", compact(R"({"name":"Zoë Ångström","city":"Malmö"})")},
      {"日本語のキー", compact(R"({"名前":"山田","note":"こんにちは"})")},
      {"emoji 😀🎉", compact(R"({"mood":"😀","flags":["🇸🇪","🇯🇵"]})")},
      {"quote\"inside", compact(R"({"q":"he said \"hi\""})")},
      {"back\\slash", compact(R"({"path":"C:\\Users\\x"})")},
      {"ends with \\", compact(R"("\\")")},
      {"{\"looks\":\"like json\"}", compact(R"([1,2,3])")},
      {"control in value", compact(R"({"text":"line1\nline2\ttab\u0001\u001f"})")},
      {"unicode escapes", compact(R"({"s":"\u00e9\u65e5\ud83d\ude00"})")},
      {"scalars", compact(R"([null,true,false,0,-1,9007199254740993,0.5,-2.25e-3,""])")},
      {"deep", deep_document(300)},
      {"empty object", "{}"},
      {"empty array", "[]"},
      {"x", "null"},
  };
}

SnapshotInfo sample_info() {
  SnapshotInfo info;
  info.id = "20260921_141320_2";
  info.seq = 123456789012ull;
  info.time_ns = kTime + 123456789;
  info.files = {
      {"contacts", "contacts_20260921_141320_2.json", 4096, 0x0123456789abcdefull, 17,
       "contacts_20260921_141320_2.index"},
      {"notes", "notes_20260921_141320_2.json", 3, 0xfedcba9876543210ull, 0, ""},
      {"config", "config_20260921_141320_2.json", 0, 0, 0, ""}};
  return info;
}

void expect_same_info(const SnapshotInfo& a, const SnapshotInfo& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.time_ns, b.time_ns);
  ASSERT_EQ(a.files.size(), b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) {
    EXPECT_EQ(a.files[i].collection, b.files[i].collection);
    EXPECT_EQ(a.files[i].file, b.files[i].file);
    EXPECT_EQ(a.files[i].bytes, b.files[i].bytes);
    EXPECT_EQ(a.files[i].xxh3, b.files[i].xxh3);
    EXPECT_EQ(a.files[i].documents, b.files[i].documents);
  }
}

std::string hex64(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// The manifest text with body changed by edit and a checksum that holds again.
std::string resealed_manifest(const SnapshotInfo& info,
                              const std::function<void(json&)>& edit) {
  json body = json::parse(serialize_manifest(info));
  body.erase("checksum");
  edit(body);
  body["checksum"] = hex64(checksum(body.dump()));
  return body.dump(2);
}

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

Collections sample_collections(int variant) {
  Collections c;
  c["contacts"]["alice"] =
      compact(R"({"name":"Alice","v":)" + std::to_string(variant) + "}");
  c["contacts"]["bob"] = compact(R"({"name":"Bob"})");
  c["notes"]["n1"] = compact(R"({"text":"note )" + std::to_string(variant) + R"("})");
  c["config"];  // an empty collection
  return c;
}

class CatalogueTest : public ::testing::Test {
 protected:
  std::string backups() const { return dir_.path() + "/backups"; }
  std::string backup(const std::string& name) const { return backups() + "/" + name; }

  TempDir dir_;
  std::shared_ptr<FileSystem> fs_ = posix_file_system();
};

// --- Collection files ---

TEST(CollectionFileTest, RoundTripsUnicodeEscapedKeysAndDeepDocuments) {
  Collection collection = tricky_collection();
  std::string text = serialize_collection(collection);
  EXPECT_EQ(parse_collection(text, "backups/x.json"), collection);
  // The file is a JSON object whose members are the documents themselves.
  json parsed = json::parse(text);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed.size(), collection.size());
  for (const auto& [key, doc] : collection) {
    ASSERT_TRUE(parsed.contains(key)) << key;
    EXPECT_EQ(parsed[key], json::parse(doc)) << key;
  }
}

TEST(CollectionFileTest, WritesOneDocumentPerLineInKeyOrder) {
  Collection collection = tricky_collection();
  std::string text = serialize_collection(collection);
  EXPECT_EQ(text.front(), '{');
  EXPECT_EQ(text.substr(text.size() - 3), "\n}\n");
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_EQ(lines, collection.size() + 2);  // "{", one per document, "}"
  std::vector<std::string> keys_in_file;
  size_t pos = text.find('\n') + 1;
  while (pos < text.size() && text[pos] != '}') {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    if (line.back() == ',') line.pop_back();
    json member = json::parse("{" + line + "}");
    keys_in_file.push_back(member.begin().key());
    pos = end + 1;
  }
  std::vector<std::string> expected;
  for (const auto& [key, _] : collection) expected.push_back(key);
  EXPECT_EQ(keys_in_file, expected);
}

TEST(CollectionFileTest, EmptyCollectionRoundTrips) {
  std::string text = serialize_collection({});
  EXPECT_TRUE(json::parse(text).is_object());
  EXPECT_TRUE(parse_collection(text, "backups/e.json").empty());
}

TEST(CollectionFileTest, DeepDocumentRoundTripsExactly) {
  Collection collection{{"deep", deep_document(static_cast<int>(kMaxDocumentDepth))}};
  EXPECT_EQ(parse_collection(serialize_collection(collection), "f"), collection);
}

// Writing out such a document would recurse once per level: it is refused as
// damage, never parsed into a value.
TEST(CollectionFileTest, DocumentDeeperThanTheLimitIsCorruption) {
  Collection collection{{"deep", std::string(100000, '[') + std::string(100000, ']')}};
  try {
    parse_collection(serialize_collection(collection), "backups/c.json");
    ADD_FAILURE() << "accepted a document 100,000 levels deep";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 512"), std::string::npos)
        << e.what();
  }
}

TEST(CollectionFileTest, TextThatIsNotAnObjectIsCorruption) {
  for (std::string text :
       {"", "[]", "\"x\"", "{\"a\":", "{\"a\":1}{", "null", "{\"a\" 1}"}) {
    try {
      parse_collection(text, "backups/c.json");
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const CorruptedDataError& e) {
      EXPECT_EQ(e.file(), "backups/c.json");
      EXPECT_NE(std::string(e.what()).find("backups/c.json"), std::string::npos);
    }
  }
}

TEST(CollectionFileTest, DocumentsInTheWrittenLayoutAreKeptByteForByte) {
  // Documents in the layout serialize_collection writes are read back without
  // being re-serialised: "b" would be dumped as [1,2.5,null,true,100.0,{"a":1,"z":2}].
  std::string text =
      "{\n  \"a\": {\"n\":\"A b\",\"q\":\"say \\\"hi\\\" \\\\ \"},\n"
      "  \"b\": [1,2.5,null,true,1E2,{\"z\":2,\"a\":1}],\n  \"\u00e9t\u00e9\": \"x "
      "y\"\n}\n";
  Collection parsed = parse_collection(text, "backups/c.json");
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed["a"], "{\"n\":\"A b\",\"q\":\"say \\\"hi\\\" \\\\ \"}");
  EXPECT_EQ(parsed["b"], "[1,2.5,null,true,1E2,{\"z\":2,\"a\":1}]");
  EXPECT_EQ(parsed["\u00e9t\u00e9"], "\"x y\"");
  EXPECT_EQ(serialize_collection(parsed), text);
}

TEST(CollectionFileTest, DocumentsNotInCompactFormAreStoredCompact) {
  // A space, a tab or a line break outside a string: the document is read as
  // JSON and stored in its compact form, spaces inside strings kept.
  for (std::string text : {"{\n  \"a\": {\"x\": 1,\"s\":\"p q\"}\n}\n",
                           "{\n  \"a\": {\"x\":1,\t\"s\":\"p q\"}\n}\n",
                           "{\n  \"a\": {\"x\":1,\"s\":\"p q\"} \n}\n",
                           "{\n  \"a\":\n{\"s\":\"p q\",\"x\":1}\n}\n",
                           "{\"a\": {\"s\": \"p q\", \"x\": 1}}"}) {
    Collection parsed = parse_collection(text, "backups/c.json");
    ASSERT_EQ(parsed.size(), 1u) << text;
    EXPECT_EQ(json::parse(parsed["a"]), json::parse("{\"s\":\"p q\",\"x\":1}")) << text;
    EXPECT_EQ(parsed["a"].find_first_of(" \t\n"), parsed["a"].find("p q") + 1) << text;
  }
}

TEST(CollectionFileTest, KeysOutOfOrderReadLikeAnyJsonObject) {
  // Not what the store writes, but JSON: the general parser's reading is the
  // result.
  Collection parsed =
      parse_collection("{\n  \"b\": 2,\n  \"a\": 1\n}\n", "backups/c.json");
  EXPECT_EQ(parsed, (Collection{{"a", "1"}, {"b", "2"}}));
}

// Which of two values of one key to keep is not JSON's to say (a hand-edited
// export, say): the file is refused, not read with one of them dropped.
TEST(CollectionFileTest, RepeatedKeyIsCorruption) {
  std::string text = "{\n  \"b\": 2,\n  \"a\": 1,\n  \"b\": 3\n}\n";
  try {
    parse_collection(text, "backups/c.json");
    ADD_FAILURE() << "read a collection with a repeated key";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("'b' appears twice"), std::string::npos)
        << e.what();
  }
}

TEST(CollectionFileTest, InvalidDocumentInTheWrittenLayoutIsCorruption) {
  for (std::string doc : {"{\"a\":1}{\"b\":2}", "{\"a\":}", "\"\xff\"", "{\"a\":1", "nul",
                          "[1,]", "\"tab\tin string\""}) {
    std::string text = "{\n  \"k\": " + doc + "\n}\n";
    EXPECT_THROW(parse_collection(text, "backups/c.json"), CorruptedDataError) << doc;
  }
}

TEST(CollectionFileTest, LargeCollectionRoundTripsExactly) {
  // Documents far from the end of the file are checked in place, the last
  // ones through a padded copy: both must agree with what was written.
  Collection collection;
  for (int i = 0; i < 2000; ++i) {
    collection["k" + std::to_string(100000 + i)] =
        "{\"i\":" + std::to_string(i) + ",\"s\":\"" + std::string(i % 97, 'x') + " y\"}";
  }
  EXPECT_EQ(parse_collection(serialize_collection(collection), "f"), collection);
}

// --- Manifests ---

TEST(ManifestTest, RoundTripsEveryField) {
  SnapshotInfo info = sample_info();
  std::string text = serialize_manifest(info);
  expect_same_info(parse_manifest(text, "backups/m"), info);
  EXPECT_EQ(info.bytes(), 4099u);
  EXPECT_EQ(info.manifest_name(), "20260921_141320_2.manifest.json");
}

TEST(ManifestTest, RoundTripsASnapshotWithNoCollections) {
  SnapshotInfo info;
  info.id = "20260921_120000";
  info.seq = 1;
  info.time_ns = kTime;
  expect_same_info(parse_manifest(serialize_manifest(info), "m"), info);
}

TEST(ManifestTest, ChecksumMismatchIsCorruption) {
  std::string text = serialize_manifest(sample_info());
  // Change the sequence number without resealing.
  size_t at = text.find("123456789012");
  ASSERT_NE(at, std::string::npos);
  text[at] = '9';
  try {
    parse_manifest(text, "backups/m.manifest.json");
    FAIL() << "a manifest whose checksum fails was accepted";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
    EXPECT_EQ(e.file(), "backups/m.manifest.json");
  }
}

TEST(ManifestTest, EveryChangedByteIsRefused) {
  // Flip each byte of the manifest in turn: either the JSON stops parsing or
  // the checksum fails, or the change is insignificant whitespace and the
  // manifest still says exactly the same thing. Never a wrong manifest.
  SnapshotInfo info = sample_info();
  std::string text = serialize_manifest(info);
  for (size_t i = 0; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    try {
      expect_same_info(parse_manifest(bad, "m"), info);
      EXPECT_TRUE(std::isspace(static_cast<unsigned char>(text[i])))
          << "byte " << i << " changed and still accepted";
    } catch (const CorruptedDataError&) {
    }
  }
}

TEST(ManifestTest, TruncatedManifestIsCorruptionAtEveryLength) {
  std::string text = serialize_manifest(sample_info());
  // The final newline is insignificant; every shorter cut must be refused.
  for (size_t size = 0; size + 1 < text.size(); ++size) {
    EXPECT_THROW(parse_manifest(text.substr(0, size), "m"), CorruptedDataError)
        << "cut at " << size;
  }
}

TEST(ManifestTest, WrongVersionIsRefusedEvenWithAValidChecksum) {
  for (int version : {0, 2, kSnapshotFormatVersion + 100}) {
    std::string text =
        resealed_manifest(sample_info(), [version](json& b) { b["version"] = version; });
    try {
      parse_manifest(text, "backups/v.manifest.json");
      FAIL() << "version " << version << " accepted";
    } catch (const CorruptedDataError& e) {
      EXPECT_NE(std::string(e.what()).find("version"), std::string::npos) << e.what();
      EXPECT_EQ(e.file(), "backups/v.manifest.json");
    }
  }
  std::string as_text =
      resealed_manifest(sample_info(), [](json& b) { b["version"] = "1"; });
  EXPECT_THROW(parse_manifest(as_text, "m"), CorruptedDataError);
}

TEST(ManifestTest, MissingOrMistypedFieldsAreCorruption) {
  std::vector<std::function<void(json&)>> edits = {
      [](json& b) { b.erase("seq"); },
      [](json& b) { b.erase("files"); },
      [](json& b) { b.erase("id"); },
      [](json& b) { b["seq"] = "many"; },
      [](json& b) { b["files"][0].erase("bytes"); },
      [](json& b) { b["files"][0]["xxh3"] = "xyz"; },
      [](json& b) { b["files"][0]["xxh3"] = "0123456789ABCDEF"; },
  };
  for (const auto& edit : edits) {
    EXPECT_THROW(parse_manifest(resealed_manifest(sample_info(), edit), "m"),
                 CorruptedDataError);
  }
  EXPECT_THROW(parse_manifest("[]", "m"), CorruptedDataError);
  EXPECT_THROW(parse_manifest("{}", "m"), CorruptedDataError);
  EXPECT_THROW(parse_manifest(R"({"checksum":"0000000000000000"})", "m"),
               CorruptedDataError);
}

TEST(ManifestTest, StateFilesRoundTripAndAreOptional) {
  SnapshotInfo info = sample_info();
  EXPECT_FALSE(parse_manifest(serialize_manifest(info), "m").state_files.has_value());
  EXPECT_EQ(json::parse(serialize_manifest(info)).count("state_files"), 0u);
  info.state_files = std::vector<std::string>{"contacts.json", "notes.json"};
  SnapshotInfo back = parse_manifest(serialize_manifest(info), "m");
  EXPECT_EQ(back.state_files, info.state_files);
}

TEST(ManifestTest, StateFileThatIsNotACollectionFileIsRefused) {
  for (std::string name : {"../x.json", "contacts", ".json", "a/b.json"}) {
    auto edit = [&](json& b) { b["state_files"] = {name}; };
    EXPECT_THROW(parse_manifest(resealed_manifest(sample_info(), edit), "m"),
                 UnusableManifestError)
        << name;
  }
}

TEST(IntentTest, RoundTripsAndRefusesEveryChangedByte) {
  SnapshotIntent intent{"20260921_141320", {"contacts_20260921_141320.json"}};
  std::string text = serialize_intent(intent);
  SnapshotIntent back = parse_intent(text, "i");
  EXPECT_EQ(back.id, intent.id);
  EXPECT_EQ(back.files, intent.files);
  for (size_t i = 0; i < text.size(); ++i) {
    std::string changed = text;
    changed[i] ^= 0x01;
    if (changed == text) continue;
    try {
      SnapshotIntent other = parse_intent(changed, "i");
      // Only a change JSON cannot see (whitespace) may parse, to the same.
      EXPECT_EQ(other.files, intent.files) << "byte " << i;
    } catch (const CorruptedDataError&) {
    }
  }
  EXPECT_THROW(parse_intent(serialize_manifest(sample_info()), "i"), CorruptedDataError);
}

// The fenced ```json blocks of docs/snapshot-format.md, in order.
std::vector<std::string> documented_json_blocks() {
  std::string doc = read_bytes(testing::source_dir() + "/docs/snapshot-format.md");
  std::vector<std::string> blocks;
  for (size_t at = doc.find("```json\n"); at != std::string::npos;
       at = doc.find("```json\n", at + 1)) {
    size_t start = at + 8, end = doc.find("```", start);
    if (end == std::string::npos) break;
    blocks.push_back(doc.substr(start, end - start));
  }
  return blocks;
}

TEST(ManifestTest, TheDocumentsManifestAndIntentExamplesParse) {
  int manifests = 0, intents = 0;
  for (const std::string& block : documented_json_blocks()) {
    if (block.find("\"pa-journal-snapshot\"") != std::string::npos) {
      SnapshotInfo info = parse_manifest(block, "doc");
      EXPECT_EQ(info.state_files, std::vector<std::string>{"contacts.json"});
      ++manifests;
    } else if (block.find(kIntentFormat) != std::string::npos) {
      EXPECT_EQ(parse_intent(block, "doc").files.size(), 2u);
      ++intents;
    }
  }
  EXPECT_EQ(manifests, 1);
  EXPECT_EQ(intents, 1);
}

// --- Writing and loading ---

TEST_F(CatalogueTest, WrittenSnapshotLoadsBackExactly) {
  Collections collections = sample_collections(1);
  collections["unicode"] = tricky_collection();
  SnapshotInfo info = write_snapshot(*fs_, backups(), collections, 42, kTime);
  EXPECT_EQ(info.seq, 42u);
  EXPECT_EQ(info.time_ns, kTime);
  EXPECT_EQ(info.files.size(), collections.size());
  for (const auto& f : info.files) {
    EXPECT_EQ(f.file, f.collection + "_" + info.id + ".json");
    EXPECT_EQ(f.documents, collections[f.collection].size());
    EXPECT_EQ(f.bytes, read_bytes(backup(f.file)).size());
  }
  EXPECT_EQ(load_snapshot(*fs_, backups(), info), collections);
  auto listed = list_snapshots(*fs_, backups());
  ASSERT_EQ(listed.size(), 1u);
  expect_same_info(listed[0], info);
  EXPECT_EQ(load_snapshot(*fs_, backups(), listed[0]), collections);
  // Nothing temporary is left behind.
  for (const auto& name : names_in(backups())) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
}

// A commit's sync beside a compaction waits for whatever the disk has queued:
// a large file is synced in steps as it is written, a small one once.
TEST_F(CatalogueTest, LargeSnapshotFileIsSyncedInStepsAsItIsWritten) {
  auto fault = std::make_shared<testing::FaultFileSystem>(fs_);
  uint64_t big_syncs = 0, small_syncs = 0;
  fault->set_hook(testing::FsOp::kSync, [&](const std::string& path) {
    if (path.find(".index") != std::string::npos) return;  // the key indexes
    if (path.find("/big_") != std::string::npos) ++big_syncs;
    if (path.find("/small_") != std::string::npos) ++small_syncs;
  });
  Collections collections;
  const std::string doc = "{\"note\":\"" + std::string(200, 'x') + "\"}";
  for (int i = 0; i < 100000; ++i)  // some 21 MB of text
    collections["big"]["k" + std::to_string(i)] = doc;
  collections["small"]["k"] = doc;
  SnapshotInfo info = write_snapshot(*fault, backups(), collections, 7, kTime);
  uint64_t big_bytes = 0;
  for (const auto& f : info.files)
    if (f.collection == "big") big_bytes = f.bytes;
  ASSERT_GT(big_bytes, 20u << 20);
  EXPECT_GE(big_syncs, 3u);  // after 8 and 16 MB, and the final one
  EXPECT_EQ(small_syncs, 1u);
  EXPECT_EQ(load_snapshot(*fs_, backups(), info), collections);
}

TEST_F(CatalogueTest, SnapshotIdIsTheUtcTimeOfItsRecord) {
  // 2026-11-25T10:00:00.75Z
  SnapshotInfo info = write_snapshot(*fs_, backups(), sample_collections(1), 7,
                                     1'795'600'800'750'000'000);
  EXPECT_EQ(info.id, "20261125_100000");
  EXPECT_TRUE(std::filesystem::exists(backup("contacts_20261125_100000.json")));
  EXPECT_TRUE(std::filesystem::exists(backup("20261125_100000.manifest.json")));
}

TEST_F(CatalogueTest, SnapshotFilesAreOwnerOnly) {
  mode_t old_mask = ::umask(0);
  SnapshotInfo info = write_snapshot(*fs_, backups(), sample_collections(1), 1, kTime);
  ::umask(old_mask);
  EXPECT_EQ(mode_of(backups()), 0700u);
  for (const auto& name : names_in(backups())) {
    EXPECT_EQ(mode_of(backup(name)), 0600u) << name;
  }
  EXPECT_EQ(names_in(backups()).size(), 2 * info.files.size() + 1);  // and key indexes
}

TEST_F(CatalogueTest, LoadRefusesACollectionFileOfTheWrongSize) {
  SnapshotInfo info = write_snapshot(*fs_, backups(), sample_collections(1), 5, kTime);
  std::string file = "contacts_" + info.id + ".json";
  std::string original = read_bytes(backup(file));
  for (std::string changed :
       {original + " ", original.substr(0, original.size() - 1), std::string()}) {
    write_bytes(backup(file), changed);
    try {
      load_snapshot(*fs_, backups(), info);
      FAIL() << "loaded a file of " << changed.size() << " bytes";
    } catch (const CorruptedDataError& e) {
      EXPECT_EQ(e.file(), "backups/" + file);
      EXPECT_NE(std::string(e.what()).find("bytes"), std::string::npos) << e.what();
    }
  }
}

TEST_F(CatalogueTest, LoadRefusesACollectionFileWhoseChecksumDiffers) {
  SnapshotInfo info = write_snapshot(*fs_, backups(), sample_collections(1), 5, kTime);
  std::string file = "notes_" + info.id + ".json";
  std::string original = read_bytes(backup(file));
  // A same-sized change that is still valid JSON: only the checksum sees it.
  std::string changed = original;
  size_t at = changed.find("note 1");
  ASSERT_NE(at, std::string::npos);
  changed[at + 5] = '2';
  ASSERT_NO_THROW(json::parse(changed));
  write_bytes(backup(file), changed);
  try {
    load_snapshot(*fs_, backups(), info);
    FAIL() << "loaded a file whose checksum differs";
  } catch (const CorruptedDataError& e) {
    EXPECT_EQ(e.file(), "backups/" + file);
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
  // Every single flipped bit is refused.
  for (size_t i = 0; i < original.size(); ++i) {
    std::string flipped = original;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    write_bytes(backup(file), flipped);
    EXPECT_THROW(load_snapshot(*fs_, backups(), info), CorruptedDataError)
        << "byte " << i;
  }
}

TEST_F(CatalogueTest, LoadRefusesAMissingCollectionFile) {
  SnapshotInfo info = write_snapshot(*fs_, backups(), sample_collections(1), 5, kTime);
  std::string file = "config_" + info.id + ".json";
  std::filesystem::remove(backup(file));
  try {
    load_snapshot(*fs_, backups(), info);
    FAIL() << "loaded a snapshot with a missing file";
  } catch (const CorruptedDataError& e) {
    EXPECT_EQ(e.file(), "backups/" + file);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

TEST_F(CatalogueTest, ListReportsDamagedManifestsAndLeavesThemOut) {
  write_snapshot(*fs_, backups(), sample_collections(1), 5, kTime);
  SnapshotInfo newer =
      write_snapshot(*fs_, backups(), sample_collections(2), 9, kTime + 1);
  std::string manifest = backup(newer.manifest_name());
  std::string text = read_bytes(manifest);
  write_bytes(manifest, text.substr(0, text.size() / 2));
  std::vector<Damage> damaged;
  auto listed = list_snapshots(*fs_, backups(), &damaged);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].seq, 5u);
  ASSERT_EQ(damaged.size(), 1u);
  EXPECT_EQ(damaged[0].file, "backups/" + newer.manifest_name());
  EXPECT_EQ(damaged[0].kind, Damage::Kind::kCorruption);
}

TEST_F(CatalogueTest, ListIsNewestFirstAndEmptyWithoutBackups) {
  EXPECT_TRUE(list_snapshots(*fs_, backups()).empty());
  for (uint64_t seq : {30, 10, 50, 20, 40}) {
    write_snapshot(*fs_, backups(), sample_collections(static_cast<int>(seq)), seq,
                   kTime + static_cast<int64_t>(seq) * kSecond);
  }
  std::vector<uint64_t> seqs;
  for (const auto& s : list_snapshots(*fs_, backups())) seqs.push_back(s.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{50, 40, 30, 20, 10}));
}

// --- Snapshot ids ---

TEST_F(CatalogueTest, SnapshotIdsAreUniqueWithinOneSecond) {
  std::set<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    // All within the same second (nanoseconds apart or exactly equal).
    SnapshotInfo info =
        write_snapshot(*fs_, backups(), sample_collections(i), 10 + i, kTime + (i % 3));
    EXPECT_TRUE(ids.insert(info.id).second) << "id reused: " << info.id;
  }
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_TRUE(ids.count("20260921_141320"));
  auto listed = list_snapshots(*fs_, backups());
  ASSERT_EQ(listed.size(), 12u);
  // Each snapshot still holds its own content: no file was overwritten.
  for (const auto& info : listed) {
    int variant = static_cast<int>(info.seq) - 10;
    EXPECT_EQ(load_snapshot(*fs_, backups(), info), sample_collections(variant))
        << info.id;
  }
}

TEST_F(CatalogueTest, SnapshotIdDoesNotReuseTheIdOfADamagedManifest) {
  SnapshotInfo first = write_snapshot(*fs_, backups(), sample_collections(1), 5, kTime);
  // The first snapshot's manifest is damaged: a human may still want its
  // files. A new snapshot in the same second must not take its name.
  std::string manifest = backup(first.manifest_name());
  std::string damaged_text = read_bytes(manifest).substr(0, 40);
  write_bytes(manifest, damaged_text);
  std::string contacts = backup(first.files[0].file);
  std::string contacts_text = read_bytes(contacts);
  SnapshotInfo second = write_snapshot(*fs_, backups(), sample_collections(2), 6, kTime);
  EXPECT_NE(second.id, first.id);
  EXPECT_EQ(read_bytes(manifest), damaged_text);
  EXPECT_EQ(read_bytes(contacts), contacts_text);
}

TEST(SnapshotIdTest, NewIdSkipsEveryUsedSuffix) {
  std::vector<SnapshotInfo> existing(3);
  existing[0].id = "20260921_120000";
  existing[1].id = "20260921_120000_2";
  existing[2].id = "20260921_120000_3";
  int64_t t = 1'789'992'000'000'000'000;  // 2026-09-21T12:00:00Z
  EXPECT_EQ(new_snapshot_id({}, t), "20260921_120000");
  EXPECT_EQ(new_snapshot_id(existing, t + 999'999'999), "20260921_120000_4");
  EXPECT_EQ(new_snapshot_id(existing, t + 1'000'000'000), "20260921_120001");
}

// --- Retention ---

TEST_F(CatalogueTest, RetentionKeepsExactlyTheNewestAndRemovesTheRest) {
  std::vector<SnapshotInfo> written;
  for (int i = 1; i <= 7; ++i) {
    written.push_back(write_snapshot(*fs_, backups(), sample_collections(i), 10 * i,
                                     kTime + i * kSecond));
  }
  auto removed = apply_retention(*fs_, backups(), 3).removed;
  std::set<std::string> expected_removed;
  for (int i = 0; i < 4; ++i) expected_removed.insert(written[i].id);
  EXPECT_EQ(std::set<std::string>(removed.begin(), removed.end()), expected_removed);
  EXPECT_EQ(removed.size(), 4u);
  auto kept = list_snapshots(*fs_, backups());
  ASSERT_EQ(kept.size(), 3u);
  std::set<std::string> expected_names;
  for (int i = 4; i < 7; ++i) {
    EXPECT_EQ(kept[6 - i].id, written[i].id);
    EXPECT_EQ(load_snapshot(*fs_, backups(), kept[6 - i]), sample_collections(i + 1));
    expected_names.insert(written[i].manifest_name());
    for (const auto& f : written[i].files) {
      expected_names.insert(f.file);
      expected_names.insert(f.index);
    }
  }
  EXPECT_EQ(names_in(backups()), expected_names);

  // Applying it again changes nothing; keeping more than exist changes nothing.
  EXPECT_TRUE(apply_retention(*fs_, backups(), 3).removed.empty());
  EXPECT_TRUE(apply_retention(*fs_, backups(), 10).removed.empty());
  EXPECT_EQ(names_in(backups()), expected_names);
}

TEST_F(CatalogueTest, RetentionRemovesWhatAnIntentNamesButNeverOtherFiles) {
  SnapshotInfo a = write_snapshot(*fs_, backups(), sample_collections(1), 10, kTime);
  SnapshotInfo b =
      write_snapshot(*fs_, backups(), sample_collections(2), 20, kTime + 2 * kSecond);
  // A snapshot whose manifest is damaged: its files stay for a human.
  SnapshotInfo c =
      write_snapshot(*fs_, backups(), sample_collections(3), 30, kTime + 4 * kSecond);
  write_bytes(backup(c.manifest_name()), "{ damaged");
  // Leftovers of a compaction that stopped before its manifest: the intent,
  // the files it names, their temporaries and the manifest's temporary.
  SnapshotIntent intent{"20200101_000000",
                        {"contacts_20200101_000000.json", "notes_20200101_000000.json",
                         "my_list_20200101_000000.json"}};
  write_bytes(backup("20200101_000000.pending.json"), serialize_intent(intent));
  std::vector<std::string> leftovers = {
      "20200101_000000.pending.json",      "contacts_20200101_000000.json",
      "notes_20200101_000000.json",        "my_list_20200101_000000.json.tmp",
      "20200101_000000.manifest.json.tmp", "contacts_" + b.id + ".json.tmp"};
  for (const auto& name : leftovers) {
    if (!std::filesystem::exists(backup(name))) write_bytes(backup(name), "{}");
  }
  // Files no file of the store names, some shaped like its own (another
  // program's backups, an older pa-journal's leftovers without an intent).
  std::vector<std::string> unrelated = {"README.txt",
                                        "notes.json",
                                        "keep-me.json",
                                        "contacts_final.json",
                                        "2024.manifest.txt",
                                        "contacts_20190101_000000.json",
                                        "x.tmp",
                                        "notes_20190101_000000.json.tmp",
                                        "20190101_000000.manifest.json.tmp"};
  for (const auto& name : unrelated) write_bytes(backup(name), "mine");

  auto removed = apply_retention(*fs_, backups(), 5).removed;
  EXPECT_TRUE(removed.empty());
  std::set<std::string> names = names_in(backups());
  for (const auto& name : leftovers) EXPECT_EQ(names.count(name), 0u) << name;
  for (const auto& name : unrelated) {
    EXPECT_EQ(names.count(name), 1u) << name;
    EXPECT_EQ(read_bytes(backup(name)), "mine") << name;
  }
  for (const SnapshotInfo* s : {&a, &b, &c}) {
    EXPECT_EQ(names.count(s->manifest_name()), 1u) << s->id;
    for (const auto& f : s->files) EXPECT_EQ(names.count(f.file), 1u) << f.file;
  }
  EXPECT_EQ(load_snapshot(*fs_, backups(), a), sample_collections(1));
  EXPECT_EQ(load_snapshot(*fs_, backups(), b), sample_collections(2));
}

TEST_F(CatalogueTest, AnIntentWhoseManifestExistsGoesAloneAndATornOneStays) {
  SnapshotInfo a = write_snapshot(*fs_, backups(), sample_collections(1), 10, kTime);
  std::vector<std::string> files;
  for (const auto& f : a.files) files.push_back(f.file);
  // An intent that came back after a power loss: its snapshot is complete.
  write_bytes(backup(a.id + kIntentSuffix), serialize_intent({a.id, files}));
  // A damaged intent proves nothing: what it might name stays.
  write_bytes(backup("20200101_000000.pending.json"), "{ torn");
  write_bytes(backup("contacts_20200101_000000.json"), "{}");
  // An intent's temporary: whole (a crash between its sync and rename), it
  // is the store's; torn, nothing says whose it is.
  write_bytes(backup("20200102_000000.pending.json.tmp"),
              serialize_intent({"20200102_000000", {"notes_20200102_000000.json"}}));
  write_bytes(backup("20200103_000000.pending.json.tmp"), "{\"files\": [");
  remove_leftovers(*fs_, backups());
  std::set<std::string> names = names_in(backups());
  EXPECT_EQ(names.count("20200102_000000.pending.json.tmp"), 0u);
  EXPECT_EQ(names.count("20200103_000000.pending.json.tmp"), 1u);
  EXPECT_EQ(names.count(a.id + kIntentSuffix), 0u);
  EXPECT_EQ(load_snapshot(*fs_, backups(), a), sample_collections(1));
  EXPECT_EQ(names.count("20200101_000000.pending.json"), 1u);
  EXPECT_EQ(names.count("contacts_20200101_000000.json"), 1u);
}

TEST_F(CatalogueTest, RetentionLeavesATombstoneThatTheNextCleanUpFinishes) {
  SnapshotInfo a = write_snapshot(*fs_, backups(), sample_collections(1), 10, kTime);
  write_snapshot(*fs_, backups(), sample_collections(2), 20, kTime + 2 * kSecond);
  // What a crash right after retention's rename leaves.
  std::filesystem::rename(backup(a.manifest_name()), backup(a.id + kTombstoneSuffix));
  EXPECT_EQ(list_snapshots(*fs_, backups()).size(), 1u);
  for (const auto& f : a.files) EXPECT_TRUE(std::filesystem::exists(backup(f.file)));
  remove_leftovers(*fs_, backups());
  EXPECT_FALSE(std::filesystem::exists(backup(a.id + kTombstoneSuffix)));
  for (const auto& f : a.files) EXPECT_FALSE(std::filesystem::exists(backup(f.file)));
}

TEST_F(CatalogueTest, SnapshotIdAvoidsAnyFileShapedLikeIt) {
  // Another program's backup with the stamp the next snapshot would take, of
  // a collection the snapshot does not even hold.
  std::filesystem::create_directory(backups());
  write_bytes(backup("todo_20260921_141320.json"), "theirs");
  SnapshotInfo a = write_snapshot(*fs_, backups(), sample_collections(1), 10, kTime);
  EXPECT_EQ(a.id, "20260921_141320_2");
  write_bytes(backup("contacts_20260921_141320_3.json.tmp"), "theirs");
  SnapshotInfo b = write_snapshot(*fs_, backups(), sample_collections(2), 20, kTime);
  EXPECT_EQ(b.id, "20260921_141320_4");
  EXPECT_EQ(read_bytes(backup("todo_20260921_141320.json")), "theirs");
  EXPECT_EQ(read_bytes(backup("contacts_20260921_141320_3.json.tmp")), "theirs");
}

TEST_F(CatalogueTest, RetentionKeepsFilesAManifestNamesWhateverTheirName) {
  SnapshotInfo a = write_snapshot(*fs_, backups(), sample_collections(1), 10, kTime);
  // A manifest may name files that do not look like the usual names (an
  // older writer, a person's rename): they are still the snapshot's.
  std::string text = serialize_collection(sample_collections(1)["contacts"]);
  write_bytes(backup("contacts_20200101_000000.json"), text);
  SnapshotInfo odd = a;
  odd.id = "20200101_000001";
  odd.seq = 5;
  odd.files = {
      {"contacts", "contacts_20200101_000000.json", text.size(), checksum(text), 2, ""}};
  write_bytes(backup(odd.manifest_name()), serialize_manifest(odd));
  apply_retention(*fs_, backups(), 10);
  EXPECT_TRUE(std::filesystem::exists(backup("contacts_20200101_000000.json")));
  EXPECT_NO_THROW(load_snapshot(*fs_, backups(), odd));
}

TEST_F(CatalogueTest, RetentionKeepsAtLeastOneSnapshot) {
  write_snapshot(*fs_, backups(), sample_collections(1), 10, kTime);
  SnapshotInfo newest =
      write_snapshot(*fs_, backups(), sample_collections(2), 20, kTime + 2 * kSecond);
  apply_retention(*fs_, backups(), 0);
  auto kept = list_snapshots(*fs_, backups());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, newest.id);
}

TEST_F(CatalogueTest, RetentionCountsOnlyManifestsThatParse) {
  std::vector<SnapshotInfo> written;
  for (int i = 1; i <= 4; ++i) {
    written.push_back(write_snapshot(*fs_, backups(), sample_collections(i), 10 * i,
                                     kTime + i * kSecond));
  }
  write_bytes(backup(written[3].manifest_name()), "garbage");  // the newest
  apply_retention(*fs_, backups(), 2);
  auto kept = list_snapshots(*fs_, backups());
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, written[2].id);
  EXPECT_EQ(kept[1].id, written[1].id);
  // The damaged newest manifest and its files are left for a human.
  EXPECT_TRUE(std::filesystem::exists(backup(written[3].manifest_name())));
  for (const auto& f : written[3].files) {
    EXPECT_TRUE(std::filesystem::exists(backup(f.file)));
  }
}

// --- Readable state files ---

TEST_F(CatalogueTest, StateFilesAreWrittenOwnerOnlyAsCollectionFiles) {
  std::string out = dir_.path() + "/out/state";
  std::filesystem::create_directory(dir_.path() + "/out");
  Collections collections = sample_collections(1);
  mode_t old_mask = ::umask(0);
  write_state_files(*fs_, out, collections, false);
  ::umask(old_mask);
  EXPECT_EQ(mode_of(out), 0700u);
  std::set<std::string> expected;
  for (const auto& [name, collection] : collections) {
    expected.insert(name + ".json");
    EXPECT_EQ(read_bytes(out + "/" + name + ".json"), serialize_collection(collection));
    EXPECT_EQ(mode_of(out + "/" + name + ".json"), 0600u);
  }
  EXPECT_EQ(names_in(out), expected);
}

TEST_F(CatalogueTest, StateFilesRefuseToOverwriteWithoutOverwrite) {
  std::string out = dir_.path() + "/out";
  std::filesystem::create_directory(out);
  write_bytes(out + "/notes.json", "precious");
  Collections collections = sample_collections(1);
  EXPECT_THROW(write_state_files(*fs_, out, collections, false), InvalidInputError);
  // Nothing at all was written: not even the files that did not exist.
  EXPECT_EQ(names_in(out), std::set<std::string>{"notes.json"});
  EXPECT_EQ(read_bytes(out + "/notes.json"), "precious");

  write_state_files(*fs_, out, collections, true);
  for (const auto& [name, collection] : collections) {
    EXPECT_EQ(read_bytes(out + "/" + name + ".json"), serialize_collection(collection));
  }
}

}  // namespace
}  // namespace pa_journal
