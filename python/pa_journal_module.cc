// _pa_journal: the compiled half of `import pa_journal` (docs/design.md 11). It
// binds the seed's FileStorage API (include/pa_journal/file_storage.h) and
// the journal API (store.h, time_travel.h); the package python/pa_journal/ wraps it with
// the seed's Python types (pathlib.Path, datetime, dict/list documents).
//
// Contracts of this layer:
// - Documents cross as JSON text: the Python layer checks and dumps them,
//   this layer parses them with nlohmann. A text that does not parse is an
//   InvalidInputError (the Python layer never sends one).
// - The GIL is released for every call into the store, and only there: the
//   arguments are converted to C++ values before the release and the results
//   back to Python objects after it (py::call_guard wraps only the call).
// - Every pa_journal::StorageError becomes the Python exception of the same
//   name; InvalidInputError is also a ValueError, NotFoundError also a
//   KeyError, IoError also an OSError.
// - A FileStorage or Store is closed by close() (its journal synced and its
//   LOCK released, once no call is using it); any call after that raises
//   StorageError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "model/validation.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"

namespace py = pybind11;

namespace pa_journal {
namespace {

using nlohmann::json;
using Release = py::call_guard<py::gil_scoped_release>;

json parse_text(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw InvalidInputError("not JSON text: " + json_error_reason(e));
  }
}

// What a Python FileStorage or Store holds: a T that close() ends. Safe
// from any number of threads, close() included: each call holds the T
// (a shared_ptr) for its duration, so a close() beside a call ends the T
// (syncing it and releasing its LOCK) when that call returns; calls begun
// after the close() raise StorageError.
template <typename T>
class Handle {
 public:
  explicit Handle(std::unique_ptr<T> t) : t_(std::move(t)) {}

  // Keep the result for as long as the T is used.
  std::shared_ptr<T> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!t_) throw StorageError("the store is closed (close() was called)");
    return t_;
  }
  void close() {
    std::shared_ptr<T> last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = std::move(t_);
    }
  }  // the T ends here unless a call still holds it
  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !t_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> t_;
};

using StorageHandle = Handle<FileStorage>;
using StoreHandle = Handle<Store>;

std::unique_ptr<StorageHandle> open_storage(const std::string& base_dir) {
  return std::make_unique<StorageHandle>(std::make_unique<FileStorage>(base_dir));
}
// lock_wait_s: seconds to wait for another writer's LOCK (0: refuse at once).
// compact_after_percent: Options::compact_after_percent, the store's default
// if none.
std::unique_ptr<StoreHandle> open_store(const std::string& dir, bool create_if_missing,
                                        double lock_wait_s,
                                        std::optional<int64_t> compact_after_percent) {
  if (!(lock_wait_s >= 0 && lock_wait_s <= 86400)) {
    throw InvalidInputError("lock_wait must be a number of seconds from 0 to 86400");
  }
  if (compact_after_percent &&
      (*compact_after_percent < 0 || *compact_after_percent > 1000000)) {
    throw InvalidInputError(
        "compact_after_percent must be a whole number from 0 to 1000000");
  }
  Options options;
  options.create_if_missing = create_if_missing;
  options.lock_wait_ms = static_cast<uint32_t>(lock_wait_s * 1000);
  if (compact_after_percent)
    options.compact_after_percent = static_cast<uint32_t>(*compact_after_percent);
  return std::make_unique<StoreHandle>(Store::open(dir, options));
}

// (filename, timestamp_ns, size, seq), newest first.
using BackupRow = std::tuple<std::string, int64_t, uint64_t, uint64_t>;

std::vector<BackupRow> backup_rows(StorageHandle& h, const std::string& filename) {
  std::vector<BackupRow> rows;
  for (const auto& b : h.get()->list_backups(filename))
    rows.emplace_back(b.filename, b.timestamp_ns, b.size, b.seq);
  return rows;
}

// ConfigManager::save_config for a whole config object given as JSON text:
// every member that differs from the store is journaled, as one commit.
void save_config(StorageHandle& h, const std::string& config_text) {
  json config = parse_text(config_text);
  if (!config.is_object()) throw InvalidInputError("the config is not a JSON object");
  std::shared_ptr<FileStorage> storage = h.get();
  Store& store = storage->store();
  std::vector<Operation> ops;
  for (const auto& [key, value] : config.items()) {
    auto stored = store.get(kConfigCollection, key);
    if (!stored || parse_text(*stored) != value)
      ops.push_back({OpKind::kPut, std::string(kConfigCollection), key,
                     serialize_for_storage(value)});
  }
  if (!ops.empty()) store.commit(std::move(ops), "save config");
}

// (collection, key, before, after): None where the document was absent.
using ChangeRow = std::tuple<std::string, std::string, std::optional<std::string>,
                             std::optional<std::string>>;

// What changed from the state at from_ns to the state at to_ns (now if none).
std::vector<ChangeRow> diff(StoreHandle& h, int64_t from_ns,
                            std::optional<int64_t> to_ns) {
  std::shared_ptr<Store> store = h.get();
  Collections from = state_at(store->dir(), from_ns);
  Collections to = to_ns ? state_at(store->dir(), *to_ns) : store->state();
  std::vector<ChangeRow> rows;
  for (auto& c : diff_states(from, to))
    rows.emplace_back(std::move(c.collection), std::move(c.key), std::move(c.before),
                      std::move(c.after));
  return rows;
}

using CommitRow = std::tuple<uint64_t, int64_t>;  // (seq, time_ns)
CommitRow row(const CommitResult& r) { return {r.seq, r.time_ns}; }

// (kind, collection, key, document, if_seq): kind "put", "patch" or "delete";
// the document JSON text (empty for a delete); if_seq None or the
// compare-and-set's expected seq (pa_journal/record.h).
using OperationRow = std::tuple<std::string, std::string, std::string, std::string,
                                std::optional<uint64_t>>;

std::vector<Operation> operations(const std::vector<OperationRow>& rows) {
  std::vector<Operation> ops;
  for (const auto& [kind, collection, key, document, if_seq] : rows) {
    OpKind k = kind == "put"     ? OpKind::kPut
               : kind == "patch" ? OpKind::kPatch
               : kind == "delete"
                   ? OpKind::kDelete
                   : throw InvalidInputError("unknown operation '" + kind + "'");
    ops.push_back({k, collection, key, document, if_seq});
  }
  return ops;
}

// (seq, time_ns, op, document or None if deleted, from_snapshot), oldest first.
using VersionRow =
    std::tuple<uint64_t, int64_t, std::string, std::optional<std::string>, bool>;

std::vector<VersionRow> history(StoreHandle& h, const std::string& collection,
                                const std::string& key) {
  std::vector<VersionRow> rows;
  for (const auto& v : document_history(h.get()->dir(), collection, key))
    rows.emplace_back(v.seq, v.time_ns, to_string(v.op), v.value, v.from_snapshot);
  return rows;
}

// Registers T as the Python exception `name` in m, a subclass of bases (a
// class or a tuple of classes), named as the package pa_journal exports it.
// pybind11 translates a C++ exception after the call guard, with the GIL held.
template <typename T>
py::object add_exception(py::module_& m, const char* name, py::handle bases) {
  py::object e = py::register_exception<T>(m, name, bases);
  e.attr("__module__") = "pa_journal";
  return e;
}

}  // namespace
}  // namespace pa_journal

PYBIND11_MODULE(_pa_journal, m) {
  using namespace pa_journal;
  m.doc() = "pa-journal's seed API (the compiled half of the pa_journal package)";

  // Translators run newest first: the base is registered before its subclasses.
  py::object storage_error =
      add_exception<StorageError>(m, "StorageError", PyExc_Exception);
  // CorruptedDataError also carries where the damage is: file, offset and seq
  // (the last good sequence number, 0 if unknown) as attributes.
  static py::handle corrupted =
      add_exception<CorruptedDataError>(m, "CorruptedDataError", storage_error).release();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const CorruptedDataError& e) {
      py::object error = py::reinterpret_borrow<py::object>(corrupted)(e.what());
      error.attr("file") = e.file();
      error.attr("offset") = e.offset();
      error.attr("seq") = e.seq();
      PyErr_SetObject(corrupted.ptr(), error.ptr());
    }
  });
  add_exception<BackupNotFoundError>(m, "BackupNotFoundError", storage_error);
  add_exception<InvalidInputError>(
      m, "InvalidInputError",
      py::make_tuple(storage_error, py::handle(PyExc_ValueError)));
  add_exception<NotFoundError>(m, "NotFoundError",
                               py::make_tuple(storage_error, py::handle(PyExc_KeyError)));
  add_exception<StoreLockedError>(m, "StoreLockedError", storage_error);
  add_exception<IoError>(m, "IoError",
                         py::make_tuple(storage_error, py::handle(PyExc_OSError)));
  add_exception<JournalFailedError>(m, "JournalFailedError", storage_error);
  // ConflictError also carries the document and the seq it changed at.
  static py::handle conflict =
      add_exception<ConflictError>(m, "ConflictError", storage_error).release();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ConflictError& e) {
      py::object error = py::reinterpret_borrow<py::object>(conflict)(e.what());
      error.attr("collection") = e.collection();
      error.attr("key") = e.key();
      error.attr("seq") = e.seq();
      PyErr_SetObject(conflict.ptr(), error.ptr());
    }
  });

  py::class_<StorageHandle>(m, "FileStorage")
      .def(py::init(&open_storage), py::arg("base_dir"), Release())
      .def("close", &StorageHandle::close, Release())
      .def_property_readonly("closed", &StorageHandle::closed)
      .def(
          "save",
          [](StorageHandle& h, const std::string& filename,
             const std::string& data_text) {
            json data = parse_text(data_text);
            return h.get()->save(filename, data);
          },
          Release())
      .def(
          "load",
          [](StorageHandle& h, const std::string& filename) {
            return h.get()->load(filename).dump();
          },
          Release())
      .def(
          "create_backup",
          [](StorageHandle& h, const std::string& filename) {
            return h.get()->create_backup(filename);
          },
          Release())
      .def(
          "restore_from_backup",
          [](StorageHandle& h, const std::string& filename,
             std::optional<int64_t> time_ns) {
            return h.get()->restore_from_backup(filename, time_ns);
          },
          Release())
      .def("list_backups", &backup_rows, Release())
      .def(
          "delete_old_backups",
          [](StorageHandle& h, const std::string& filename, size_t keep_count) {
            h.get()->delete_old_backups(filename, keep_count);
          },
          Release())
      .def(
          "export_data",
          [](StorageHandle& h, const std::string& path) {
            return h.get()->export_data(path);
          },
          Release())
      .def(
          "import_data",
          [](StorageHandle& h, const std::string& path) {
            return h.get()->import_data(path);
          },
          Release())
      .def(
          "last_error", [](StorageHandle& h) { return h.get()->last_error(); }, Release())
      .def(
          "last_seq", [](StorageHandle& h) { return h.get()->store().last_seq(); },
          Release())
      .def(
          "recover_from_corruption",
          [](StorageHandle& h, const std::string& filename) {
            return recover_from_corruption(*h.get(), filename).dump();
          },
          Release())
      .def(
          "load_config",
          [](StorageHandle& h) { return ConfigManager(*h.get()).load_config().dump(); },
          Release())
      .def("save_config", &save_config, Release())
      .def(
          "set_config",
          [](StorageHandle& h, const std::string& key, const std::string& value_text) {
            json value = parse_text(value_text);
            ConfigManager(*h.get()).set(key, value);
          },
          Release());

  py::class_<StoreHandle>(m, "Store")
      .def(py::init(&open_store), py::arg("dir"), py::arg("create_if_missing") = true,
           py::arg("lock_wait") = 0.0, py::arg("compact_after_percent") = py::none(),
           Release())
      .def("close", &StoreHandle::close, Release())
      .def_property_readonly("closed", &StoreHandle::closed)
      .def_property_readonly("created", [](StoreHandle& h) { return h.get()->created(); })
      .def(
          "get",
          [](StoreHandle& h, const std::string& collection, const std::string& key) {
            return h.get()->get(collection, key);
          },
          Release())
      .def(
          "get_versioned",
          [](StoreHandle& h, const std::string& collection,
             const std::string& key) -> std::optional<std::tuple<std::string, uint64_t>> {
            auto versioned = h.get()->get_versioned(collection, key);
            if (!versioned) return std::nullopt;
            return std::make_tuple(std::move(versioned->json), versioned->seq);
          },
          Release())
      .def(
          "list",
          [](StoreHandle& h, const std::string& collection) {
            return h.get()->list(collection);
          },
          Release())
      .def(
          "collections", [](StoreHandle& h) { return h.get()->collections(); }, Release())
      .def(
          "commit",
          [](StoreHandle& h, const std::vector<OperationRow>& ops,
             const std::string& origin) {
            return row(h.get()->commit(operations(ops), origin));
          },
          Release())
      .def(
          "last_seq", [](StoreHandle& h) { return h.get()->last_seq(); }, Release())
      .def(
          "state_at",
          [](StoreHandle& h, int64_t t_ns) { return state_at(h.get()->dir(), t_ns); },
          Release())
      .def("history", &history, Release())
      .def("diff", &diff, Release())
      .def(
          "restore_to",
          [](StoreHandle& h, int64_t t_ns) { return row(h.get()->restore_to(t_ns)); },
          Release());

  m.def("default_config", [] { return ConfigManager::default_config().dump(); });
}
