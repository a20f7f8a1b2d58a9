// pa-journal-micro: Google Benchmark micro-benchmarks of the hot paths of a
// commit (validate, encode, checksum, frame, apply), of replay (decode, apply)
// and of a snapshot (serialise, parse), on the 200-byte contact document of
// pa-journal-bench. Unlike the rest of tools/, this uses internal headers.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "model/validation.h"
#include "pa_journal/store.h"
#include "replay/state.h"
#include "snapshot/snapshot.h"
#include "tools/bench/measure.h"

namespace pa_journal {
namespace {

using bench::Workload;

const Workload& workload() {
  static const Workload w(100000);
  return w;
}

Record contact_record(uint64_t i) {
  const Workload& w = workload();
  return Record{i + 1,
                1'700'000'000'000'000'000 + static_cast<int64_t>(i),
                {{OpKind::kPut, "contacts", w.key(w.doc_for(i)), w.document(i)}},
                {}};
}

void BM_CanonicalJson(benchmark::State& state) {
  const std::string& doc = workload().document(7);
  for (auto _ : state) benchmark::DoNotOptimize(canonical_json(doc));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(doc.size()));
}
BENCHMARK(BM_CanonicalJson);

void BM_ValidateNames(benchmark::State& state) {
  const std::string& key = workload().key(12345);
  for (auto _ : state) {
    validate_collection_name("contacts");
    validate_key(key);
  }
}
BENCHMARK(BM_ValidateNames);

void BM_EncodePayload(benchmark::State& state) {
  Record record = contact_record(42);
  for (auto _ : state) benchmark::DoNotOptimize(encode_payload(record));
}
BENCHMARK(BM_EncodePayload);

void BM_Checksum(benchmark::State& state) {
  std::string payload = encode_payload(contact_record(42));
  for (auto _ : state) benchmark::DoNotOptimize(checksum(payload));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK(BM_Checksum);

void BM_AppendFrame(benchmark::State& state) {
  std::string payload = encode_payload(contact_record(42));
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_frame(&out, format::kTypeCommit, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK(BM_AppendFrame);

void BM_DecodePayload(benchmark::State& state) {
  std::string payload = encode_payload(contact_record(42));
  for (auto _ : state) benchmark::DoNotOptimize(decode_payload(payload));
}
BENCHMARK(BM_DecodePayload);

// Applying puts to a state of range(0) documents (the replay inner loop).
void BM_StateApply(benchmark::State& state) {
  const Workload& w = workload();
  uint64_t docs = static_cast<uint64_t>(state.range(0));
  State s;
  for (uint64_t d = 0; d < docs; ++d) {
    s.apply(Record{d + 1, 0, {{OpKind::kPut, "contacts", w.key(d), w.document(d)}}, {}});
  }
  std::vector<Record> records;
  for (uint64_t i = 0; i < 4096; ++i) {
    Record r = contact_record(i);
    r.ops[0].key = w.key(w.doc_for(i) % docs);
    records.push_back(std::move(r));
  }
  uint64_t seq = docs;
  size_t n = 0;
  for (auto _ : state) {
    Record& r = records[n++ % records.size()];
    r.seq = ++seq;
    s.apply(r);
  }
}
BENCHMARK(BM_StateApply)->Arg(1000)->Arg(100000);

// A commit's state work before it is queued: resolve against the state. A put
// takes the fast path (nothing to resolve); a JSON merge patch is applied to
// the stored document (Arg 1).
void BM_StateResolve(benchmark::State& state) {
  const Workload& w = workload();
  State s;
  for (uint64_t d = 0; d < 10000; ++d) {
    s.apply(Record{d + 1, 0, {{OpKind::kPut, "contacts", w.key(d), w.document(d)}}, {}});
  }
  Record r = contact_record(3);
  r.ops[0].key = w.key(17);
  if (state.range(0) == 1) {
    r.ops[0].kind = OpKind::kPatch;
    r.ops[0].document = R"({"notes":"called back","tags":["work"]})";
  }
  for (auto _ : state) benchmark::DoNotOptimize(s.resolve(r.ops));
}
BENCHMARK(BM_StateResolve)->ArgName("patch")->Arg(0)->Arg(1);

Collection collection_of(uint64_t docs) {
  const Workload& w = workload();
  Collection c;
  for (uint64_t d = 0; d < docs; ++d) c.emplace(w.key(d), w.document(d));
  return c;
}

void BM_SerializeCollection(benchmark::State& state) {
  Collection c = collection_of(static_cast<uint64_t>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = serialize_collection(c);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_SerializeCollection)->Arg(10000)->Unit(benchmark::kMillisecond);

// The snapshot load hot path.
void BM_ParseCollection(benchmark::State& state) {
  std::string text =
      serialize_collection(collection_of(static_cast<uint64_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(parse_collection(text, "contacts.json"));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseCollection)->Arg(10000)->Unit(benchmark::kMillisecond);

// The whole of Store::put under Durability::kNone (no sync), for comparison
// with the sum of the parts above.
void BM_StorePutNone(benchmark::State& state) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/pa-journal-micro-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    Options options;
    options.durability = Durability::kNone;
    options.auto_compact = false;
    auto store = Store::open(dir + "/store", options);
    const Workload& w = workload();
    uint64_t i = 0;
    for (auto _ : state) {
      store->put("contacts", w.key(w.doc_for(i) % 10000), w.document(i));
      ++i;
    }
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StorePutNone);

}  // namespace
}  // namespace pa_journal

BENCHMARK_MAIN();
