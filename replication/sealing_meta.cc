#include "replication/sealing_meta.h"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>

#include "model/validation.h"
#include "pa_journal/errors.h"
#include "replication/envelope.h"

namespace pa_journal::replication {
namespace {

using nlohmann::json;

constexpr int kBase64 = sodium_base64_VARIANT_ORIGINAL;

std::string to_base64(const void* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, kBase64), '\0');
  sodium_bin2base64(out.data(), out.size(), static_cast<const unsigned char*>(data), size,
                    kBase64);
  out.pop_back();  // the terminating NUL
  return out;
}

// The bytes of text; nullopt unless it is all valid base64.
std::optional<std::string> from_base64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                        text.data(), text.size(), nullptr, &size, &end, kBase64) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::string_view as_text(const SecretBytes& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

json kdf_json(const KdfParams& kdf) {
  return {{"alg", kKdfName},
          {"salt", to_base64(kdf.salt.data(), kdf.salt.size())},
          {"opslimit", kdf.opslimit},
          {"memlimit", kdf.memlimit}};
}

// What a meta message's "sealing" member says, checked.
struct ParsedSealing {
  std::optional<KdfParams> kdf;  // set iff the key is a passphrase's
  std::string check;             // the sealed check text
};

CorruptedDataError bad_sealing(std::string_view stream, const std::string& why) {
  return CorruptedDataError("stream " + std::string(stream) +
                            ": the sealing in its meta message " + why);
}

std::string decoded(const json& object, const char* name, std::string_view stream) {
  std::optional<std::string> bytes = from_base64(object.at(name).get<std::string>());
  if (!bytes)
    throw bad_sealing(stream, std::string("has \"") + name + "\" not in base64");
  return *bytes;
}

uint64_t bounded(const json& object, const char* name, uint64_t min, uint64_t max,
                 std::string_view stream) {
  const json& value = object.at(name);
  if (!value.is_number_unsigned() || value.get<uint64_t>() < min ||
      value.get<uint64_t>() > max) {
    throw bad_sealing(stream, std::string("has \"") + name + "\" " + value.dump() +
                                  ", outside " + std::to_string(min) + " to " +
                                  std::to_string(max));
  }
  return value.get<uint64_t>();
}

KdfParams parse_kdf(const json& kdf, std::string_view stream) {
  if (kdf.at("alg").get<std::string>() != kKdfName) {
    throw bad_sealing(stream, "names the key derivation " + kdf.at("alg").dump() +
                                  ", which this version does not know");
  }
  KdfParams params;
  std::string salt = decoded(kdf, "salt", stream);
  if (salt.size() != params.salt.size()) {
    throw bad_sealing(stream, "has a salt of " + std::to_string(salt.size()) +
                                  " bytes, not " + std::to_string(params.salt.size()));
  }
  std::copy(salt.begin(), salt.end(), params.salt.begin());
  params.opslimit = bounded(kdf, "opslimit", kMinOpslimit, kMaxOpslimit, stream);
  params.memlimit = bounded(kdf, "memlimit", kMinMemlimit, kMaxMemlimit, stream);
  return params;
}

ParsedSealing parse_fields(const json& sealing, std::string_view stream) {
  if (!sealing.is_object()) throw bad_sealing(stream, "is neither null nor an object");
  if (sealing.at("cipher").get<std::string>() != kCipherName) {
    throw bad_sealing(stream, "names the cipher " + sealing.at("cipher").dump() +
                                  ", which this version does not know");
  }
  ParsedSealing parsed;
  const std::string key = sealing.at("key").get<std::string>();
  if (key == "passphrase") {
    parsed.kdf = parse_kdf(sealing.at("kdf"), stream);
  } else if (key != "file" || !sealing.at("kdf").is_null()) {
    throw bad_sealing(stream, "has key " + sealing.at("key").dump() + " and kdf " +
                                  sealing.at("kdf").dump() +
                                  ": neither a key file's nor a passphrase's");
  }
  parsed.check = decoded(sealing, "check", stream);
  return parsed;
}

// parse_fields, with nlohmann's exceptions (a member missing or of another
// type) translated here, at the boundary.
ParsedSealing parse_sealing(const json& sealing, std::string_view stream) {
  try {
    return parse_fields(sealing, stream);
  } catch (const json::exception& e) {
    throw bad_sealing(stream, "is not valid: " + json_error_reason(e));
  }
}

std::string kind_text(bool passphrase) {
  return passphrase ? "a passphrase" : "a key file";
}

// Refuses a key source that cannot be the stream's.
void require_source_for(const ParsedSealing& parsed, const KeySource& source,
                        std::string_view stream) {
  const bool passphrase = parsed.kdf.has_value();
  const std::string encrypted =
      "stream " + std::string(stream) + " is encrypted with " + kind_text(passphrase);
  if (source.kind() == KeySource::Kind::kNone) {
    throw KeyError(encrypted + ", and no key was given");
  }
  if (passphrase != (source.kind() == KeySource::Kind::kPassphrase)) {
    throw KeyError(encrypted + ", not " + kind_text(!passphrase) + " (" + source.name() +
                   " was given)");
  }
}

SecretBytes key_for(const ParsedSealing& parsed, const KeySource& source) {
  if (!parsed.kdf) return source.secret().copy();
  return derive_key(as_text(source.secret()), *parsed.kdf);
}

void open_check(const Sealer& sealer, const ParsedSealing& parsed,
                const KeySource& source, std::string_view store_id,
                std::string_view stream) {
  std::string text;
  try {
    text = sealer.open(parsed.check, associated_data(store_id, SealedKind::kMeta, 0));
  } catch (const KeyError&) {
    throw KeyError(source.name() + " does not open stream " + std::string(stream));
  } catch (const CorruptedDataError& e) {
    throw bad_sealing(stream,
                      std::string("has a check that is no envelope: ") + e.what());
  }
  if (text != kCheckText) throw bad_sealing(stream, "has a check of another text");
}

}  // namespace

json seal_meta_json(const Sealer& sealer, std::string_view store_id,
                    const std::optional<KdfParams>& kdf) {
  if (!sealer.encrypts()) return nullptr;
  std::string check =
      sealer.seal(kCheckText, associated_data(store_id, SealedKind::kMeta, 0));
  return {{"cipher", kCipherName},
          {"key", kdf ? "passphrase" : "file"},
          {"kdf", kdf ? kdf_json(*kdf) : json(nullptr)},
          {"check", to_base64(check.data(), check.size())}};
}

Sealing new_sealing(const KeySource& source, std::string_view store_id,
                    const std::optional<KdfParams>& kdf) {
  Sealing sealing;
  std::optional<KdfParams> params;
  if (source.kind() == KeySource::Kind::kNone) {
    sealing.sealer = std::make_unique<PlainSealer>();
  } else if (source.kind() == KeySource::Kind::kKey) {
    sealing.sealer = std::make_unique<KeySealer>(source.secret().copy());
  } else {
    params = kdf ? *kdf : new_kdf_params();
    sealing.sealer =
        std::make_unique<KeySealer>(derive_key(as_text(source.secret()), *params));
  }
  sealing.meta = seal_meta_json(*sealing.sealer, store_id, params);
  return sealing;
}

std::unique_ptr<Sealer> check_meta_key(const json& sealing, const KeySource& source,
                                       std::string_view store_id,
                                       std::string_view stream) {
  if (sealing.is_null()) {
    if (source.kind() == KeySource::Kind::kNone) return std::make_unique<PlainSealer>();
    throw KeyError("stream " + std::string(stream) + " is not encrypted, but " +
                   source.name() +
                   " was given: a stream keeps the sealing it was started with");
  }
  ParsedSealing parsed = parse_sealing(sealing, stream);
  require_source_for(parsed, source, stream);
  auto sealer = std::make_unique<KeySealer>(key_for(parsed, source));
  open_check(*sealer, parsed, source, store_id, stream);
  return sealer;
}

}  // namespace pa_journal::replication
