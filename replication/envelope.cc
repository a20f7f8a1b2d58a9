#include "replication/envelope.h"

#include <sodium.h>

#include <cstring>
#include <new>
#include <utility>

#include "pa_journal/errors.h"

namespace pa_journal::replication {

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

void ensure_sodium() {
  // A function-local static is initialised once, the first caller's thread
  // doing it while the others wait.
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw StorageError("libsodium could not be initialised");
}

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size == 0) return;
  ensure_sodium();
  data_ = static_cast<unsigned char*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  sodium_memzero(data_, size);
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    SecretBytes gone(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  // sodium_free zeroes the whole allocation before it unmaps it.
  if (data_ != nullptr) sodium_free(data_);
}

void SecretBytes::shrink(size_t size) {
  if (size >= size_) return;
  sodium_memzero(data_ + size, size_ - size);
  size_ = size;
}

SecretBytes SecretBytes::copy() const {
  SecretBytes out(size_);
  if (size_ > 0) std::memcpy(out.data_, data_, size_);
  return out;
}

bool SecretBytes::equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  return size_ == 0 || sodium_memcmp(data_, other.data_, size_) == 0;
}

KeySealer::KeySealer(SecretBytes key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) {
    throw KeyError("a key holds " + std::to_string(kKeyBytes) + " bytes, not " +
                   std::to_string(key_.size()));
  }
}

std::string KeySealer::seal(std::string_view plain, std::string_view ad) const {
  std::string out(kEnvelopeOverhead + plain.size(), '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  bytes[0] = kEnvelopeVersion;
  unsigned char* nonce = bytes + 1;
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      nonce, key_.data());
  return out;
}

std::string KeySealer::open(std::string_view sealed, std::string_view ad) const {
  if (sealed.size() < kEnvelopeOverhead) {
    throw CorruptedDataError("a sealed message of " + std::to_string(sealed.size()) +
                             " bytes is shorter than the envelope's " +
                             std::to_string(kEnvelopeOverhead));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  if (bytes[0] != kEnvelopeVersion) {
    throw CorruptedDataError("a sealed message has envelope version " +
                             std::to_string(bytes[0]) + "; this version reads only " +
                             std::to_string(kEnvelopeVersion));
  }
  const unsigned char* nonce = bytes + 1;
  const size_t cipher_bytes = sealed.size() - 1 - kNonceBytes;
  std::string plain(cipher_bytes - kTagBytes, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr,
          nonce + kNonceBytes, cipher_bytes,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          key_.data()) != 0) {
    throw KeyError(
        "the key does not open this message: wrong key, or the bytes were changed");
  }
  return plain;
}

}  // namespace pa_journal::replication
