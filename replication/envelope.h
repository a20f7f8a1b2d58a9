// The envelope that seals every message leaving the machine for an encrypted
// stream (docs/replication.md, "Envelope"):
//
//   byte 0        version, kEnvelopeVersion (1)
//   bytes 1..24   nonce: 24 random bytes, fresh for every seal
//   bytes 25..    XChaCha20-Poly1305-IETF ciphertext of the plaintext (as
//                 long as it), then its 16-byte authentication tag
//
// The tag covers the ciphertext and the associated data (sealer.h), which is
// not sent: a message opens only with the key it was sealed with, at the
// place (store id, kind, sequence number or chunk) it was sealed for.
// Random 192-bit nonces make a repeated nonce under one key negligible (after
// 2^64 messages the chance of any repeat is about 2^-65), so that no counter
// has to be kept, and survive a crash, per key.
//
// Key material lives in SecretBytes: memory outside the heap (sodium_malloc:
// guard pages, locked against swapping where the system allows) that is
// zeroed when it is freed, and never copied into a std::string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/sealer.h"

namespace pa_journal::replication {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kNonceBytes = 24;
inline constexpr size_t kTagBytes = 16;
// What an envelope adds to its plaintext: version, nonce and tag.
inline constexpr size_t kEnvelopeOverhead = 1 + kNonceBytes + kTagBytes;

// Initialises libsodium once per process (thread-safe); throws StorageError
// if it cannot be. Every function of this layer that uses libsodium calls it.
void ensure_sodium();

// Bytes of secret material (a key, a passphrase) in memory that is zeroed
// when it is freed. Move-only. Thread-safety: as a plain value.
class SecretBytes {
 public:
  SecretBytes() = default;
  // size zero bytes; throws std::bad_alloc if the memory cannot be had.
  explicit SecretBytes(size_t size);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Keeps the first size bytes (size <= size()); the rest is zeroed.
  void shrink(size_t size);
  // A second copy, in memory of its own.
  SecretBytes copy() const;
  // Whether both hold the same bytes (in time independent of where they
  // differ).
  bool equals(const SecretBytes& other) const;

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// Seals with XChaCha20-Poly1305-IETF under one 32-byte key.
// Thread-safety: seal and open are const and may be called from any thread.
class KeySealer final : public Sealer {
 public:
  // Throws KeyError unless key holds kKeyBytes bytes.
  explicit KeySealer(SecretBytes key);
  bool encrypts() const override { return true; }
  std::string seal(std::string_view plain, std::string_view ad) const override;
  // Throws KeyError ("the key does not open this message: wrong key, or the
  // bytes were changed"; the caller adds which key and which stream) when
  // the tag does not verify, CorruptedDataError when sealed is shorter than
  // kEnvelopeOverhead or its version byte is not kEnvelopeVersion.
  std::string open(std::string_view sealed, std::string_view ad) const override;

 private:
  SecretBytes key_;
};

}  // namespace pa_journal::replication
