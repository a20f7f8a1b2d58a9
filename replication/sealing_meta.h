// The "sealing" member of a stream's meta message (docs/replication.md,
// "Envelope"): how the stream's messages are sealed, in plaintext JSON, and a
// known text sealed with the stream's key so that a wrong key is told at
// once, before any record is read.
//
//   null                              a stream without encryption
//   {"cipher": "xchacha20poly1305-ietf",
//    "key": "file" | "passphrase",
//    "kdf": null | {"alg": "argon2id13", "salt": BASE64, "opslimit": N,
//                   "memlimit": N},   (null for "file")
//    "check": BASE64}                 seal(kCheckText) with associated data
//                                     associated_data(STOREID, kMeta, 0)
//
// BASE64 is standard base64 with padding (RFC 4648 section 4).
// Thread-safety: pure functions of their arguments.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "replication/keys.h"
#include "replication/sealer.h"

namespace pa_journal::replication {

inline constexpr std::string_view kCipherName = "xchacha20poly1305-ietf";
inline constexpr std::string_view kKdfName = "argon2id13";
inline constexpr std::string_view kCheckText = "pa-journal sealing check";

// The "sealing" member for a stream sealed by sealer: null when sealer does
// not encrypt; kdf names the passphrase's parameters (nullopt: a key file).
nlohmann::json seal_meta_json(const Sealer& sealer, std::string_view store_id,
                              const std::optional<KdfParams>& kdf);

// What a new stream is sealed with, and the "sealing" member that says so.
struct Sealing {
  std::unique_ptr<Sealer> sealer;
  nlohmann::json meta;
};

// The sealing of a new stream of store_id for source: PlainSealer for no key;
// KeySealer for a key; for a passphrase, the key derive_key gives under kdf
// (nullopt: new_kdf_params()). Throws KeyError from derive_key.
Sealing new_sealing(const KeySource& source, std::string_view store_id,
                    const std::optional<KdfParams>& kdf = std::nullopt);

// The sealer for stream (of store_id), whose meta message's "sealing" member
// is sealing, with the user's key source. Throws KeyError naming the stream
// for no key for an encrypted stream, a key for a stream without encryption,
// a key file for a passphrase's stream or the other way round, and a key that
// does not open "check" ("the key in FILE does not open stream S", "the
// passphrase does not open stream S"); CorruptedDataError naming the stream
// if sealing is not as above (an unknown cipher, KDF parameters out of
// bounds, bad base64). Never lets a JSON exception out.
std::unique_ptr<Sealer> check_meta_key(const nlohmann::json& sealing,
                                       const KeySource& source, std::string_view store_id,
                                       std::string_view stream);

}  // namespace pa_journal::replication
