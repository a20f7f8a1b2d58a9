// libFuzzer target: what a stream's servers hand back to be opened. The first
// byte chooses the input's use:
//   even  the rest is a sealed message, opened with a fixed key (and
//         associated data numbered by its size, so that the seed corpus
//         holds messages that open): it opens to a plaintext kEnvelopeOverhead
//         bytes shorter, or throws KeyError or CorruptedDataError and nothing
//         else; and the rest sealed by the fuzzer opens back to itself;
//   odd   the rest is a meta message's "sealing" member as JSON, checked with
//         no key and with a key: only KeyError or CorruptedDataError may
//         come out, never a JSON exception. (A passphrase source is left out:
//         a member may ask Argon2id for up to 1 GiB, too much per input.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "pa_journal/errors.h"
#include "replication/envelope.h"
#include "replication/sealing_meta.h"

namespace {

using namespace pa_journal;
using namespace pa_journal::replication;

constexpr std::string_view kStore = "0123456789abcdef0123456789abcdef";

SecretBytes fixed_key() {
  SecretBytes key(kKeyBytes);
  std::memset(key.data(), 0x5a, key.size());
  return key;
}

void open_envelope(const std::string& bytes) {
  static const KeySealer sealer(fixed_key());
  const std::string ad = associated_data(kStore, SealedKind::kRecord, bytes.size());
  try {
    if (sealer.open(bytes, ad).size() + kEnvelopeOverhead != bytes.size()) std::abort();
  } catch (const KeyError&) {
  } catch (const CorruptedDataError&) {
  }
  if (sealer.open(sealer.seal(bytes, ad), ad) != bytes) std::abort();
}

void check_sealing(const std::string& text) {
  nlohmann::json sealing = nlohmann::json::parse(text, nullptr, false);
  if (sealing.is_discarded()) return;
  for (int with_key = 0; with_key < 2; ++with_key) {
    KeySource source =
        with_key ? KeySource::from_key(fixed_key(), "the fuzzer's key") : KeySource();
    try {
      check_meta_key(sealing, source, kStore, "FUZZ");
    } catch (const KeyError&) {
    } catch (const CorruptedDataError&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    open_envelope(rest);
  } else {
    check_sealing(rest);
  }
  return 0;
}
