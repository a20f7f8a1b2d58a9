#include "tests/replication_util.h"

#include <algorithm>
#include <atomic>
#include <memory>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "snapshot/catalogue.h"

namespace pa_journal::testing {

Options test_store_options() {
  Options options;
  options.durability = Durability::kNone;
  options.auto_compact = false;
  options.segment_bytes = 2048;
  auto now = std::make_shared<std::atomic<int64_t>>(1'795'600'800'000'000'000);
  // A second per commit: snapshots made in one second take ids that
  // retention freed (shipper.h), which the tests of that case make on purpose.
  options.clock_ns = [now] { return now->fetch_add(1'000'000'000); };
  return options;
}

std::string contact(int n, int version) {
  std::string id = std::to_string(n);
  return R"({"name":"Person )" + id + R"(","email":"person)" + id +
         R"(@example.com","version":)" + std::to_string(version) +
         R"(,"city":"Malmö","tags":["friend","work"]})";
}

replication::ShipperOptions shipper_options(const std::string& dir, SavedPosition& saved,
                                            const std::string& store_id) {
  replication::ShipperOptions o;
  o.dir = dir;
  o.stream = kStream;
  o.store_id = store_id;
  o.batch_size = 7;
  o.load_position = [&saved] { return saved.value; };
  o.save_position = [&saved](const replication::ShipPosition& p) {
    if (++saved.saves == saved.kill_at_save) throw Killed{};
    saved.value = p;
  };
  return o;
}

replication::SealerChooser choose_plain() {
  return [](const std::string&, const std::string& sealing) {
    if (sealing != "null")
      throw KeyError("stream " + std::string(kStream) + " is sealed");
    return std::unique_ptr<replication::Sealer>(new replication::PlainSealer());
  };
}

replication::SealerChooser choose_xor(uint64_t key) {
  return [key](const std::string&, const std::string&) {
    return std::unique_ptr<replication::Sealer>(new XorSealer(key));
  };
}

StoreImage image_of(const std::string& dir) {
  StoreImage image;
  Options options;
  options.read_only = true;
  image.state = Store::open(dir, options)->state();
  read_records(
      dir, {}, [&](const Record& r) { image.records.push_back(r); }, options);
  auto fs = posix_file_system();
  for (const SnapshotInfo& s : list_snapshots(*fs, backups_dir(dir))) {
    image.backups.emplace_back(s.id, s.seq);
  }
  std::sort(image.backups.begin(), image.backups.end());
  return image;
}

}  // namespace pa_journal::testing
