#include "crypto/attachment_encryptor.hpp"

#include "crypto/attachment_format.hpp"
#include "crypto/random.hpp"  // the core's (src/crypto)

namespace xchat::client {

AttachmentEncryptor::AttachmentEncryptor()
    : AttachmentEncryptor(crypto::random_bytes(kAttachmentKeyBytes)) {}

AttachmentEncryptor::AttachmentEncryptor(std::string_view key)
    : key_(key), header_(kAttachmentHeaderBytes, '\0') {
  crypto_secretstream_xchacha20poly1305_init_push(
      &start_, reinterpret_cast<unsigned char*>(header_.data()),
      reinterpret_cast<const unsigned char*>(key_.data()));
  state_ = start_;
}

AttachmentEncryptor::~AttachmentEncryptor() {
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(&start_, sizeof start_);
  sodium_memzero(&state_, sizeof state_);
}

std::string AttachmentEncryptor::seal_chunk(std::string_view plaintext, bool last) {
  std::string out(plaintext.size() + kAttachmentChunkOverhead, '\0');
  crypto_secretstream_xchacha20poly1305_push(
      &state_, reinterpret_cast<unsigned char*>(out.data()), nullptr,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), nullptr, 0,
      last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
           : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  return out;
}

void AttachmentEncryptor::rewind() { state_ = start_; }

}  // namespace xchat::client
