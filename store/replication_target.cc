#include "store/replication_target.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "journal/replica_position.h"
#include "journal/store_id.h"
#include "pa_journal/errors.h"
#include "pa_journal/replication.h"
#include "replication/keys.h"
#include "replication/messages.h"
#include "replication/nats_log.h"
#include "replication/sealing_meta.h"
#include "replication/shipper.h"
#include "replication/subjects.h"
#include "store/store_dir.h"

namespace pa_journal {
namespace {

using replication::Sealer;

// The sealer of the stream as far as it is known: the one a new stream gets,
// replaced by the one its meta message calls for once the stream is read.
// The Shipper holds a reference to this one object throughout.
class ChosenSealer final : public Sealer {
 public:
  void choose(std::unique_ptr<Sealer> sealer, std::string sealing_json) {
    sealer_ = std::move(sealer);
    sealing_json_ = std::move(sealing_json);
  }
  const std::string& sealing_json() const { return sealing_json_; }
  bool encrypts() const override { return sealer_->encrypts(); }
  std::string seal(std::string_view plain, std::string_view ad) const override {
    return sealer_->seal(plain, ad);
  }
  std::string open(std::string_view sealed, std::string_view ad) const override {
    return sealer_->open(sealed, ad);
  }

 private:
  std::unique_ptr<Sealer> sealer_;
  std::string sealing_json_;
};

replication::KeySource key_source(const ReplicationOptions& o) {
  if (!o.key_file.empty() && !o.passphrase.empty()) {
    throw InvalidInputError("a key file and a passphrase were both given: give one");
  }
  if (!o.key_file.empty()) return replication::KeySource::from_key_file(o.key_file);
  if (o.passphrase.empty()) return {};
  replication::SecretBytes secret(o.passphrase.size());
  std::memcpy(secret.data(), o.passphrase.data(), o.passphrase.size());
  return replication::KeySource::from_passphrase(std::move(secret));
}

// A second shipper would publish against the same expected sequences and
// fail at its first batch; it is refused at once instead. Not a
// StoreLockedError: waiting for the store's LOCK (--wait) is no cure.
std::unique_ptr<FileLock> lock_stream(FileSystem& fs, const std::string& dir,
                                      const std::string& stream) {
  try {
    return lock_replica(fs, dir, stream);
  } catch (const StoreLockedError& e) {
    throw ReplicationError("stream " + stream +
                           " is being shipped by another process, which holds the "
                           "lock replicas/" +
                           stream + ".lock of the store (" + e.what() +
                           "): one shipper per stream");
  }
}

replication::ShipPosition ship_position(const ReplicaPosition& p) {
  replication::ShipPosition out{p.acked_seq, p.stream_seq, {}};
  for (const ReplicaSnapshot& s : p.snapshots) out.snapshots.push_back({s.id, s.seq});
  return out;
}

ReplicationStatus replication_status(const replication::ShipStatus& s) {
  ReplicationStatus out;
  out.acked_seq = s.acked_seq;
  out.stream_seq = s.stream_seq;
  // The status after a batch comes before the pass measured the durable end.
  out.durable_seq = std::max(s.durable_seq, s.acked_seq);
  out.records_behind = out.durable_seq - s.acked_seq;
  out.seconds_behind = s.seconds_behind;
  out.records_published = s.records_published;
  out.snapshots_published = s.snapshots_published;
  out.damaged_snapshots = s.damaged_snapshots;
  out.incomplete_snapshots = s.incomplete_snapshots;
  out.error = s.error;
  out.retry_in_ms = s.retry_in_ms;
  return out;
}

}  // namespace

struct ReplicationTarget::State {
  State(const std::string& dir_in, const ReplicationOptions& options,
        std::shared_ptr<FileSystem> fs_in)
      : dir(dir_in),
        o(options),
        fs(fs_in ? std::move(fs_in) : posix_file_system()),
        log(o.url, {std::chrono::milliseconds(o.timeout_ms),
                    std::chrono::milliseconds(std::min<uint32_t>(o.timeout_ms, 2000))}) {}

  void open();
  std::optional<std::string> existing_sealing();
  void choose_sealer();
  void verify_sealing(const std::string& sealing_json);
  std::optional<replication::ShipPosition> load_position();
  void save_position(const replication::ShipPosition& p);
  void make_shipper();
  ReplicationStatus status(const replication::ShipStatus& s) const;

  std::string dir;
  ReplicationOptions o;
  std::shared_ptr<FileSystem> fs;
  std::string store_id;
  std::unique_ptr<FileLock> lock;
  replication::KeySource source;
  replication::NatsLog log;
  ChosenSealer sealer;
  std::unique_ptr<replication::Shipper> shipper;
};

void ReplicationTarget::State::open() {
  require_store_dir(*fs, dir);
  replication::validate_stream_name(o.stream);
  store_id = ensure_store_id(*fs, dir);
  lock = lock_stream(*fs, dir, o.stream);
  source = key_source(o);
}

// The "sealing" of the stream's meta message if the stream has one of this
// store; nullopt if it has none, holds another store (the shipper's start
// names both ids) or no server answers (the start tries again).
std::optional<std::string> ReplicationTarget::State::existing_sealing() {
  try {
    std::optional<replication::StreamState> state = log.stream_state(o.stream);
    if (!state || state->last_seq == 0) return std::nullopt;
    std::optional<replication::LogMessage> m =
        log.last_on_subject(o.stream, replication::meta_subject(o.stream));
    if (!m) return std::nullopt;
    replication::Meta meta = replication::parse_meta(*m, o.stream);
    if (meta.store_id != store_id) return std::nullopt;
    return meta.sealing_json;
  } catch (const ReplicationError& e) {
    if (!e.unavailable()) throw;
    return std::nullopt;
  }
}

// A passphrase's key costs an Argon2id derivation (about 0.25 s, 256 MiB):
// the stream is read first so that the key is derived once, with the salt
// the stream already has.
void ReplicationTarget::State::choose_sealer() {
  if (std::optional<std::string> sealing = existing_sealing()) {
    verify_sealing(*sealing);
    return;
  }
  replication::Sealing fresh = replication::new_sealing(source, store_id);
  sealer.choose(std::move(fresh.sealer), fresh.meta.dump());
}

void ReplicationTarget::State::verify_sealing(const std::string& sealing_json) {
  if (!sealer.sealing_json().empty() && sealing_json == sealer.sealing_json()) return;
  nlohmann::json sealing =
      nlohmann::json::parse(sealing_json, nullptr, /*allow_exceptions=*/false);
  sealer.choose(replication::check_meta_key(sealing, source, store_id, o.stream),
                sealing_json);
}

std::optional<replication::ShipPosition> ReplicationTarget::State::load_position() {
  try {
    return ship_position(read_replica_position(*fs, dir, o.stream));
  } catch (const NotFoundError&) {
    return std::nullopt;
  }
}

void ReplicationTarget::State::save_position(const replication::ShipPosition& p) {
  ReplicaPosition position{o.stream, o.url, store_id, p.acked_seq, p.stream_seq, {}, ""};
  for (const auto& s : p.snapshots) position.snapshots.push_back({s.id, s.seq});
  write_replica_position(*fs, dir, std::move(position));
}

ReplicationStatus ReplicationTarget::State::status(
    const replication::ShipStatus& s) const {
  ReplicationStatus out = replication_status(s);
  out.stream = o.stream;
  out.store_id = store_id;
  return out;
}

void ReplicationTarget::State::make_shipper() {
  choose_sealer();
  replication::ShipperOptions so;
  so.dir = dir;
  so.stream = o.stream;
  so.store_id = store_id;
  so.sealing_json = sealer.sealing_json();
  so.verify_sealing = [this](const std::string& s) { verify_sealing(s); };
  so.load_position = [this] { return load_position(); };
  so.save_position = [this](const replication::ShipPosition& p) { save_position(p); };
  so.batch_size = o.batch_size;
  so.replicas = o.stream_replicas;
  so.file_system = fs;
  if (o.on_status) {
    so.on_status = [this](const replication::ShipStatus& s) { o.on_status(status(s)); };
  }
  shipper = std::make_unique<replication::Shipper>(log, sealer, std::move(so));
}

ReplicationTarget::ReplicationTarget(const std::string& dir,
                                     const ReplicationOptions& options,
                                     std::shared_ptr<FileSystem> fs)
    : state_(std::make_unique<State>(dir, options, std::move(fs))) {
  state_->open();
}

ReplicationTarget::~ReplicationTarget() = default;

const std::string& ReplicationTarget::store_id() const { return state_->store_id; }

ReplicationStatus ReplicationTarget::ship(std::stop_token stop) {
  if (!state_->shipper) state_->make_shipper();
  return state_->status(state_->shipper->ship(stop));
}

ReplicationStatus ReplicationTarget::follow(std::stop_token stop) {
  if (!state_->shipper) state_->make_shipper();
  replication::FollowOptions f{state_->o.poll_ms, state_->o.first_retry_ms,
                               state_->o.max_retry_ms};
  return state_->status(state_->shipper->follow(stop, f));
}

ReplicationStatus replicate(const std::string& dir, const ReplicationOptions& options,
                            std::stop_token stop, const Options& store_options) {
  return ReplicationTarget(dir, options, store_options.file_system).ship(stop);
}

ReplicationStatus follow_replication(const std::string& dir,
                                     const ReplicationOptions& options,
                                     std::stop_token stop, const Options& store_options) {
  return ReplicationTarget(dir, options, store_options.file_system).follow(stop);
}

}  // namespace pa_journal
