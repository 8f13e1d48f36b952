#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/content.hpp"
#include "crypto/session.hpp"
#include "messenger/attachment_http.hpp"
#include "messenger/pending_file.hpp"
#include "messenger/server_data.hpp"
#include "messenger/server_url.hpp"
#include "net/ws_client.hpp"
#include "store/local_store.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

struct MessengerOptions {
  std::string home;                          // where the LocalStore lives
  std::string passphrase;                    // unlocks it
  std::chrono::milliseconds timeout{10000};  // for each request to the server
  ConnectOptions connect;                    // TLS trust and the like; host/port from the URL
  KeyPairSource keys = X25519KeyPair::generate;
  // The clock (ms since the epoch) for content timestamps and for when messages vanish;
  // the system's if empty.
  std::function<std::int64_t()> now_ms;
};

// Something that happened, for the user interface to show.
struct Event {
  enum class Kind {
    kMessage,          // a text or file message (or our own, sent from another of our devices)
    kReceipt,          // the peer's device received or read our messages
    kTyping,           // the peer started or stopped typing
    kWarning,          // a message that could not be read, or was not what it claimed
    kIdentityChanged,  // a contact's identity key is not the one we knew
    kQueueEmpty,       // everything the server held for this device has arrived
    kEdited,           // a message's sender replaced its text (message_id: the original's)
    kUnsent,           // a message's sender deleted it for everyone (message_id: the original's)
    kTimer,            // the conversation's vanishing timer changed (seconds, 0 = off)
  };
  Kind kind = Kind::kMessage;
  std::string peer;                    // canonical handle of the conversation
  std::uint32_t device = 0;            // the sending device
  std::string message_id;              // 16 bytes
  std::int64_t timestamp_ms = 0;       // the server's
  std::string text;                    // message text, or what a warning says
  std::optional<FileAttachment> file;  // kMessage: a file message's attachment (text empty)
  bool request = false;                // from someone not in our contacts
  bool from_me = false;                // a copy of our own message, sent from another device
  bool started = false;                // typing: started (true) or stopped
  HistoryEntry::State receipt = HistoryEntry::State::kDelivered;
  std::vector<std::string> receipt_ids;
  std::int64_t expires_at = 0;  // a message that vanishes: when (ms); 0 for never
  std::uint32_t seconds = 0;    // kTimer: the new timer
};

// What the server said to a message we sent.
struct Sent {
  std::string message_id;
  std::int64_t timestamp_ms = 0;
  std::size_t devices = 0;      // recipient devices it was encrypted for
  std::int64_t expires_at = 0;  // when it (or the message it edits or unsends) vanishes; 0 never
};

// One xchat account on this device: the client side of docs/protocol.md and
// docs/crypto.md. It keeps its keys and sessions in the LocalStore, talks to xchatd over
// one WebSocket, encrypts every message for every device of the recipient (and a copy for
// each of our other devices), retries a send whose device list was stale, decrypts what
// arrives, stores it, acknowledges it and answers it with delivery receipts. A lost
// connection is re-established (with backoff) by the next send or receive. Blocking; not
// thread-safe: one owner.
class Messenger {
 public:
  // Creates the account: keys, registration, login, key upload. `home` must not hold an
  // account yet.
  static Result<std::unique_ptr<Messenger>> init(const MessengerOptions& options,
                                                 std::string_view url, std::string_view handle,
                                                 std::uint32_t device_id, std::string_view invite);
  // Opens the account in `home`, connects and logs in.
  static Result<std::unique_ptr<Messenger>> open(const MessengerOptions& options);

  // Adding a device: the account's identity key must reach it. add_device() registers the
  // new device with the server and returns a package with the keys it needs, sealed under
  // a one-time code (Argon2id, so a stolen package resists guessing); link() on the new
  // device opens it with the code and sets the device up.
  struct DeviceLink {
    std::string package;  // bytes, for a file the user carries over
    std::string code;     // to type on the new device
  };
  Result<DeviceLink> add_device(std::uint32_t device_id);
  static Result<std::unique_ptr<Messenger>> link(const MessengerOptions& options,
                                                 std::string_view package, std::string_view code);

  // Handles whose messages arrived as message requests and wait for accept or block.
  std::vector<std::string> requests();
  // Accept (they become a contact) or block a request's sender.
  Status answer_request(std::string_view handle, bool accept);

  const std::string& handle() const { return handle_; }  // canonical
  std::uint32_t device_id() const { return device_id_; }

  // Sends `text` to `to` (any case). It vanishes `expires_in` seconds after the server
  // accepts it, on the server and on every device; nullopt means the conversation's timer
  // (timer()), 0 never. Warnings met on the way (a changed identity key) come back from the
  // next events().
  Result<Sent> send_text(std::string_view to, std::string_view text,
                         std::optional<std::uint32_t> expires_in = std::nullopt);
  // Encrypts the file at `path` under a fresh key, uploads the ciphertext as an attachment
  // (resuming after a cut connection) and sends `to` a file message that carries its id,
  // key and digest (docs/crypto.md §10), with a timer as send_text() has one; a vanishing
  // file message takes its attachment with it on the server. `progress` hears of the
  // upload. kNotFound or kBadRequest when the file cannot be read; kUnavailable when the
  // server stayed out of reach; the server's refusal (too large, over quota, ...).
  Result<Sent> send_file(std::string_view to, const std::string& path,
                         std::optional<std::uint32_t> expires_in = std::nullopt,
                         const TransferProgress& progress = {});
  // The file message `message_id` (16 bytes), from any conversation, as stored here;
  // nothing when this device has none (or it vanished).
  std::optional<HistoryEntry> file_message(std::string_view message_id);
  // Downloads the attachment of `message` (a file message), verifies it and writes the
  // plaintext into `out`, resuming after a cut connection; commit `out` only on success.
  // kBadSignature when the file is not the one the message describes (altered or
  // truncated on the server or on the way; the message says which); kNotFound when the
  // server no longer has it (it vanished, expired or was deleted); kUnavailable when the
  // server stayed out of reach; kInternal when `out` could not be written.
  Status fetch_file(const HistoryEntry& message, PendingFile& out,
                    const TransferProgress& progress = {});

  // Replaces the text of our message `message_id` (16 bytes) to `peer` on every device that
  // has it. kNotAllowed when the message is someone else's; the server refuses one past
  // its edit window (kWindowClosed) or that it does not know (kNotFound).
  Result<Sent> edit(std::string_view peer, std::string_view message_id, std::string_view text);
  // Deletes our message `message_id` to `peer` for everyone: every copy still queued on the
  // server, and the copies on the devices that received it. Refused as edit() is.
  Result<Sent> unsend(std::string_view peer, std::string_view message_id);
  // Sets the conversation's vanishing timer (0: off) here, on our other devices and on the
  // peer's, which apply it to what they send too.
  Status set_timer(std::string_view peer, std::uint32_t seconds);
  std::uint32_t timer(std::string_view peer);
  Status send_typing(std::string_view to, bool started);
  // Tells `peer` that we read these messages of theirs.
  Status send_read_receipt(std::string_view peer, const std::vector<std::string>& message_ids);

  // Waits up to `wait` for something from the server and handles all that came: decrypts,
  // stores, acknowledges. Returns what happened, including events queued by earlier calls.
  std::vector<Event> receive(std::chrono::milliseconds wait);

  // Asks the server for `handle`'s identity key now: true when it is not the one pinned
  // (the new one is pinned, old sessions dropped, and an event queued), false when it is
  // (or the handle is new to us: then it is pinned).
  Result<bool> identity_changed(std::string_view handle);

  // The conversation as stored here, without what vanished.
  std::vector<HistoryEntry> history(std::string_view peer, std::size_t limit);
  // The safety number with `handle` (fetched and pinned if not known yet).
  Result<std::string> safety_number(std::string_view handle);

  // A request with no client-side logic (contacts.*, blocks.*, device.*, privacy.set):
  // the result object, or the server's error as a Status.
  Result<nlohmann::json> call(std::string_view type, nlohmann::json fields);
  // The error fields of the last refused call (stale_devices lists and the like).
  const nlohmann::json& last_error() const { return last_error_; }

  ~Messenger();

 private:
  Messenger(MessengerOptions options, std::unique_ptr<LocalStore> store);
  // A new device's store: the account keys given, fresh device keys made and stored.
  static Result<std::unique_ptr<Messenger>> prepare(
      const MessengerOptions& options, std::string_view url, std::string_view display_handle,
      std::uint32_t device_id, std::string_view identity_public, std::string_view identity_secret,
      std::string_view device_sign_secret);

  Status connect_and_login();
  // Reconnects after a lost connection, no sooner than the backoff allows (250 ms,
  // doubling to 30 s, with jitter, reset by a successful login).
  Status ensure_connected();
  Status upload_keys(bool with_identity, std::uint32_t one_time_count);
  LocalDevice local_device();
  const X25519KeyPair* cached_prekey(std::map<std::uint32_t, X25519KeyPair>& cache,
                                     std::uint32_t id, const std::optional<std::string>& secret);
  Status fetch_sessions(const std::string& handle, bool own);
  Status refresh_after_stale(const std::string& handle, const nlohmann::json& devices, bool own);
  // The canonical form of `to`, which must be another account than ours.
  Result<std::string> recipient(std::string_view to) const;
  // Sends a text (or, with `file`, a file message) to `to` with its timer — `expires_in`,
  // else the conversation's — and keeps our copy in the history.
  Result<Sent> send_message(std::string_view to, std::string text,
                            std::optional<FileAttachment> file,
                            std::optional<std::uint32_t> expires_in);
  // call(), connecting (again) first when the connection is gone: a long transfer can
  // outlast it.
  Result<nlohmann::json> call_connected(std::string_view type, nlohmann::json fields);
  // The attachment endpoints of our server, authorized by `tokens`.
  Result<AttachmentHttp> attachment_http(TokenSource tokens);
  // `progress`, and meanwhile a brief read of the WebSocket every few seconds: nothing
  // else reads it during a transfer, and a connection that does not answer the server's
  // pings is dropped after limits.idle_timeout_seconds.
  TransferProgress keeping_alive(const TransferProgress& progress);
  // Sends `content` (its type, body and expires_in set; the rest is filled in) with the
  // send request's extra fields `extra` (ephemeral, expires_in, edits, retracts).
  Result<Sent> send_content(const std::string& to, Content content, nlohmann::json extra,
                            bool with_sync);
  // The checks before an edit or unsend of our message `message_id`, and that message if
  // this device has it.
  Result<std::optional<HistoryEntry>> own_message(const std::string& peer,
                                                  std::string_view message_id);
  // Deletes what vanished by now from the local store.
  void purge_expired();
  Result<nlohmann::json> seal_for(const std::string& handle, bool own, const Content& content);
  void handle_push(const nlohmann::json& push);
  // Decrypts, stores and reports one envelope; a text message's id is added to
  // `delivered` under its sender, for the push's delivery receipts.
  void handle_envelope(const Envelope& envelope,
                       std::map<std::string, std::vector<std::string>>& delivered);
  // Reports server data that could not be read (server_data.hpp) as a warning event.
  void warn_server(const Status& status);
  void note_identity(const std::string& handle, const std::string& identity_key);
  std::int64_t now_ms() const;

  MessengerOptions options_;
  std::unique_ptr<LocalStore> store_;
  std::unique_ptr<WsClient> ws_;
  std::string handle_;
  std::uint32_t device_id_ = 0;
  nlohmann::json last_error_;
  std::vector<Event> events_;
  std::map<std::uint32_t, X25519KeyPair> signed_prekeys_;
  std::map<std::uint32_t, X25519KeyPair> one_time_prekeys_;
  std::int64_t next_id_ = 1;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{250};
};

}  // namespace xchat::client
