// What seals every byte that leaves the machine (docs/replication.md,
// "Envelope"). A sealed message can be opened only with the same key and the
// same associated data, which names the store and the message's place in it
// (associated_data()), so that a message cannot be replayed elsewhere.
//
// Thread-safety: seal and open are const and may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pa_journal::replication {

// What a sealed message is, inside the associated data.
enum class SealedKind : uint8_t { kMeta = 1, kRecord = 2, kSnapshotChunk = 3 };

// The associated data of one message: the store id (32 hex digits), the kind,
// the record's sequence number or the chunk's index, and for a snapshot chunk
// the snapshot id. Layout in docs/replication.md.
std::string associated_data(std::string_view store_id, SealedKind kind, uint64_t number,
                            std::string_view snapshot_id = {});

class Sealer {
 public:
  virtual ~Sealer() = default;
  // Whether seal changes anything (false: the stream is not encrypted).
  virtual bool encrypts() const = 0;
  virtual std::string seal(std::string_view plain, std::string_view ad) const = 0;
  // Throws KeyError when sealed does not open with this key and ad (a wrong
  // key, or bytes changed on the way), CorruptedDataError when it is too
  // short to be an envelope.
  virtual std::string open(std::string_view sealed, std::string_view ad) const = 0;
};

// Leaves the bytes as they are: a stream without encryption.
class PlainSealer final : public Sealer {
 public:
  bool encrypts() const override { return false; }
  std::string seal(std::string_view plain, std::string_view) const override {
    return std::string(plain);
  }
  std::string open(std::string_view sealed, std::string_view) const override {
    return std::string(sealed);
  }
};

}  // namespace pa_journal::replication
