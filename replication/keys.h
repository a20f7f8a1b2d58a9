// Where the key that seals a stream comes from (docs/replication.md,
// "Envelope"): a key file of 32 random bytes, or a passphrase stretched into
// a key by Argon2id with a salt and parameters kept in the stream's meta
// message (sealing_meta.h).
//
// Key files are the user's files, not the store's: they are read and written
// with the system calls themselves, not through the FileSystem seam, because
// their safety rests on what the seam does not say: creating with O_EXCL and
// mode 0600 (a key is never overwritten, never readable by others for a
// moment), and checking the mode and size of the very file opened (fstat).
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/envelope.h"

namespace pa_journal::replication {

// Writes kKeyBytes random bytes into the new file path, mode 0600, synced
// with its directory. Throws KeyError if path exists (a key file is never
// overwritten: it may be the only copy of a key that opens a stream), IoError
// if it cannot be written (then nothing is left at path).
void generate_key_file(const std::string& path);

// The key in path. Throws KeyError naming path if it is missing, unreadable,
// not a regular file, open to group or others (mode & 077, as ssh refuses an
// identity file; the message says `chmod 600 path`) or not exactly kKeyBytes
// bytes long.
SecretBytes load_key_file(const std::string& path);

// How a passphrase becomes a key: Argon2id (libsodium's crypto_pwhash,
// ALG_ARGON2ID13) with these parameters, kept in the stream's meta message.
struct KdfParams {
  static constexpr size_t kSaltBytes = 16;
  std::array<uint8_t, kSaltBytes> salt{};
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;  // bytes
};

// The bounds derive_key accepts, so that a stream's meta message cannot make
// a clone spend unbounded time or memory: libsodium's minimum up to its
// SENSITIVE level (4 passes, 1 GiB).
inline constexpr uint64_t kMinOpslimit = 1;
inline constexpr uint64_t kMaxOpslimit = 4;
inline constexpr uint64_t kMinMemlimit = 8192;
inline constexpr uint64_t kMaxMemlimit = uint64_t{1} << 30;

// A random salt with libsodium's MODERATE parameters (3 passes over 256 MiB;
// about 0.25 s on the machine this was written on): a key is derived once
// per run of a command, and a stream's sealed messages sit on servers where
// whoever reads them may guess passphrases offline for as long as they like,
// so the larger cost (six times INTERACTIVE's) is worth paying.
KdfParams new_kdf_params();

// The key for passphrase under params. The same passphrase and params give
// the same key; another salt gives another. Throws KeyError if params are
// outside the bounds above or the derivation fails (out of memory).
SecretBytes derive_key(std::string_view passphrase, const KdfParams& params);

// The user's choice of key for a stream, loaded once: no key, a key (from a
// file, or given to the API), or a passphrase. Move-only.
class KeySource {
 public:
  enum class Kind { kNone, kKey, kPassphrase };

  KeySource() = default;  // no key
  // load_key_file(path); its errors name path.
  static KeySource from_key_file(const std::string& path);
  // A key already in memory; name says what it is in messages ("the key in
  // FILE" for a key file). Throws KeyError unless it holds kKeyBytes bytes.
  static KeySource from_key(SecretBytes key, std::string name);
  // Throws KeyError if passphrase is empty.
  static KeySource from_passphrase(SecretBytes passphrase);

  Kind kind() const { return kind_; }
  // "the key in FILE", "the passphrase" or "no key", for messages.
  const std::string& name() const { return name_; }
  // The key (kKey) or the passphrase (kPassphrase); empty for kNone.
  const SecretBytes& secret() const { return secret_; }

 private:
  Kind kind_ = Kind::kNone;
  std::string name_ = "no key";
  SecretBytes secret_;
};

}  // namespace pa_journal::replication
