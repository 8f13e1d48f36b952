#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/file_attachment.hpp"
#include "crypto/session.hpp"
#include "store/vault.hpp"
#include "xchat/status.hpp"

namespace xchat::store {
class Database;
class Query;
}  // namespace xchat::store

namespace xchat::client {

// One line of a conversation, as this device saw it.
struct HistoryEntry {
  enum class Direction { kIn, kOut };
  enum class State { kSent, kDelivered, kRead, kReceived };
  std::string peer;  // canonical handle of the other account (ours for a sync copy's peer)
  Direction direction = Direction::kIn;
  std::string message_id;              // 16 bytes
  std::int64_t timestamp_ms = 0;       // the server's, when it accepted the message
  std::uint32_t peer_device = 0;       // the sender's device, for incoming messages
  std::string text;                    // sealed at rest; empty for a file
  std::optional<FileAttachment> file;  // a file message's attachment, sealed at rest
  State state = State::kSent;
  // When it vanishes (ms, the server's clock); 0 for never. The row is deleted then.
  std::int64_t expires_at = 0;
  bool edited = false;  // its sender replaced the text
};

// The client's files: $XCHAT_HOME (or ~/.config/xchat) holds xchat.db, SQLite, directory
// mode 0700 and files 0600. Settings (server, handle, device id) and handles are stored in
// clear; every secret (keys, sessions) and every message text is sealed by the Vault, whose
// key only the user's passphrase opens. Not thread-safe: one owner.
class LocalStore {
 public:
  // Opens the store in `home`, creating it on first use with `passphrase`; afterwards the
  // passphrase must be the same (kBadSignature "wrong passphrase" otherwise).
  static Result<std::unique_ptr<LocalStore>> open(const std::string& home,
                                                  std::string_view passphrase);
  ~LocalStore();

  std::optional<std::string> setting(std::string_view name);
  Status set_setting(std::string_view name, std::string_view value);

  std::optional<std::string> secret(std::string_view name);
  Status put_secret(std::string_view name, std::string_view value);

  Status put_one_time_prekey(std::uint32_t id, std::string_view secret);
  std::optional<std::string> one_time_prekey(std::uint32_t id);
  Status remove_one_time_prekey(std::uint32_t id);
  std::int64_t one_time_prekey_count();
  std::uint32_t highest_one_time_prekey_id();

  std::optional<Session> session(std::string_view handle, std::uint32_t device, KeyPairSource keys);
  Status put_session(const Session& session);
  Status remove_session(std::string_view handle, std::uint32_t device);
  // The devices of `handle` this device has a session with.
  std::vector<std::uint32_t> session_devices(std::string_view handle);

  // The account identity key we pinned for `handle` the first time we saw it.
  std::optional<std::string> pinned_identity(std::string_view handle);
  Status pin_identity(std::string_view handle, std::string_view identity_key);

  // Message requests: handles not in our contacts whose messages are waiting for an
  // answer (accept or block).
  Status add_request(std::string_view handle);
  Status remove_request(std::string_view handle);
  std::vector<std::string> requests();

  Status add_history(const HistoryEntry& entry);
  // The last `limit` entries with `peer` that have not vanished by `now_ms`, oldest first
  // (an expired row is never returned, even before purge_expired() deleted it).
  std::vector<HistoryEntry> history(std::string_view peer, std::size_t limit, std::int64_t now_ms);
  // The message `message_id` of the conversation with `peer`, unless it vanished by `now_ms`.
  std::optional<HistoryEntry> message(std::string_view peer, std::string_view message_id,
                                      std::int64_t now_ms);
  // The file message `message_id`, in whichever conversation, unless it vanished by
  // `now_ms`. (Ids are random and 16 bytes: two conversations never share one by chance.)
  std::optional<HistoryEntry> file_message(std::string_view message_id, std::int64_t now_ms);
  // Deletes the message (an unsend); its sealed text goes from the files too.
  Status remove_message(std::string_view peer, std::string_view message_id);
  // Replaces the text of a message (an edit) and marks it edited.
  Status replace_text(const HistoryEntry& entry, std::string_view text);
  // Deletes every message that vanished by `now_ms` and returns how many. secure_delete
  // zeroes the freed space and a WAL checkpoint then overwrites the older page images, so
  // the sealed text is gone from xchat.db and xchat.db-wal, not just unlinked.
  Result<std::int64_t> purge_expired(std::int64_t now_ms);
  // When the next message vanishes (ms), if any will.
  std::optional<std::int64_t> next_expiry();
  // Raises the state of our message `message_id` to `state` (never lowers it).
  Status mark(std::string_view message_id, HistoryEntry::State state);
  // Whether a message id was seen already from `peer` (duplicates are dropped).
  bool has_incoming(std::string_view peer, std::string_view message_id);

  // The conversation's default vanishing timer in seconds, 0 for none: applied to every
  // message sent to `peer` without a timer of its own.
  std::uint32_t timer(std::string_view peer);
  Status set_timer(std::string_view peer, std::uint32_t seconds);

 private:
  LocalStore(std::unique_ptr<store::Database> db, Vault vault);
  // One row of kHistory, kMessage or kFileMessage; nothing when its sealed text or
  // attachment does not open.
  std::optional<HistoryEntry> read_entry(std::string_view peer, const store::Query& q);

  std::unique_ptr<store::Database> db_;
  Vault vault_;
};

}  // namespace xchat::client
