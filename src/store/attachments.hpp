#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

// Attachment metadata: who owns each uploaded ciphertext file, how big it is declared to
// be, whether every byte arrived, when it goes, and which devices may download it. The
// bytes themselves are files (store::AttachmentFiles); the server never learns what they
// hold.
namespace xchat::store::attachments {

inline constexpr std::size_t kIdBytes = 16;

struct Attachment {
  std::string id;  // kIdBytes random bytes
  std::int64_t owner_id = 0;
  std::int64_t size = 0;        // declared bytes of ciphertext
  std::int64_t created_at = 0;  // unix milliseconds
  std::int64_t expires_at = 0;  // upload deadline while incomplete, then deletion time
  bool complete = false;

  // Whether it may be sent and downloaded at `now` (unix ms): every byte is in, and it has
  // not expired (the scheduler may not have deleted it yet).
  bool available(std::int64_t now) const { return complete && expires_at > now; }
};

// What an account holds: the declared bytes of all its attachments, and how many are
// unfinished.
struct Usage {
  std::int64_t bytes = 0;
  std::int64_t uploads_in_progress = 0;
};

Result<Usage> usage(Database& db, std::int64_t owner_id);
Status insert(Database& db, const Attachment& a);
Result<std::optional<Attachment>> find(Database& db, std::string_view id);
// Marks an incomplete attachment complete, to be deleted at `expires_at`. False when it
// is gone or was complete already.
Result<bool> complete(Database& db, std::string_view id, std::int64_t expires_at);
// Brings the deletion forward to `expires_at` if that is sooner (a vanishing message
// carries it).
Status expire_by(Database& db, std::string_view id, std::int64_t expires_at);
// Lets a device download it.
Status grant(Database& db, std::string_view id, std::int64_t account_id, std::uint32_t device_id);
Result<bool> granted(Database& db, std::string_view id, std::int64_t account_id,
                     std::uint32_t device_id);
// Deletes the row and its grants. False when there was none.
Result<bool> remove(Database& db, std::string_view id);
// Up to `limit` ids whose expires_at is at or before `now`, earliest first.
Result<std::vector<std::string>> due(Database& db, std::int64_t now, std::int64_t limit);
Result<std::optional<std::int64_t>> next_expiry(Database& db);

}  // namespace xchat::store::attachments
