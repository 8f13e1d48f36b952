#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xchat::bench {

// What crash mode's clients saw, and the check of it against what docs/protocol.md
// promises across server crashes. Senders record every send (first written, accepted or
// refused) with its per-sender number n, which travels inside the ciphertext; receivers
// record every envelope delivered to each device and every ack whose reply came back;
// the end of the run records what became of each attachment. check() then holds the
// record to the promises (the list is in check()'s comment).
//
// A device is named "handle/device_id"; a message "sender handle/message_id (base64)":
// every sender in crash mode sends from its device 1.
//
// Thread safety: none; crash mode runs on one thread.
class Ledger {
 public:
  // An envelope that reaches a device this long after its expires_at by the generator's
  // clock still counts as delivered in time: the server checks expiry when it sends, and
  // the push may sit in socket buffers of a loaded machine a little while.
  static constexpr std::int64_t kExpirySlackMs = 1000;

  // A send as its sender built it.
  struct Send {
    std::string from;        // sender handle (display form)
    std::string to;          // recipient handle
    std::string message_id;  // base64
    std::uint64_t n = 0;     // the sender's own number: 1, 2, 3... in the order it sends
    std::string ciphertext;  // the same bytes for every addressed device
    std::vector<std::uint32_t> devices;  // the recipient's devices it addresses
    std::int64_t expires_in = 0;         // seconds; 0 for a message that does not vanish
    std::string attachment;              // its attachment's id, or ""
  };

  // What became of an attachment when it was downloaded at the end.
  enum class AttachmentFate { kUnchecked, kComplete, kAbsent, kCorrupt };

  // The sender writes `send` for the first time. Its later retries are the same message.
  void attempted(const Send& send);
  // Another write of the same send, at `written_ms` (Unix ms), after its reply was lost or
  // deferred.
  void retried(const std::string& key, std::int64_t written_ms);
  // The send was answered `storage_full` at `at_ms` (Unix ms): the sender keeps it and
  // writes it again, unchanged, later (docs/protocol.md, error codes). Not a violation.
  void deferred(const std::string& key, std::int64_t at_ms);
  bool storage_full_seen() const { return first_full_ms_ != 0; }
  // The send's `result`: its timestamp, expires_at and the seq of each addressed device.
  // A result older than the first retry shows that an earlier write had got in.
  void accepted(const std::string& key, const nlohmann::json& result);
  // The send got an error reply that is final for it.
  void refused(const std::string& key, const std::string& error);

  // The server confirmed (200 to finish) a complete upload of `size` bytes hashing to
  // `digest` (BLAKE2b-256, hex), owned by `owner`.
  void attachment_finished(const std::string& id, const std::string& owner, std::uint64_t size,
                           const std::string& digest);
  void attachment_checked(const std::string& id, AttachmentFate fate, const std::string& detail);
  // Attachment ids and their owners, for the end-of-run download.
  std::map<std::string, std::string> attachment_owners() const;
  std::uint64_t attachment_size(const std::string& id) const;
  const std::string& attachment_digest(const std::string& id) const;

  // One envelope of an `envelopes` push to `device`, received at `received_ms` (Unix ms).
  void delivered(const std::string& device, const nlohmann::json& envelope,
                 std::int64_t received_ms);
  // `device`'s ack of `seqs` was answered: they are deleted for good.
  void acked(const std::string& device, const std::vector<std::uint64_t>& seqs);

  // A violation seen by the generator itself (an unexpected error reply, a failed login).
  void violation(const std::string& what);

  // Holds the record to the promises and returns {"summary": {...}, "violations": [...]}.
  // `drained_ms` is when every device had last logged in again and received queue_empty,
  // with the server up and nothing more being sent: everything still queued then was
  // delivered, so an accepted envelope delivered to no one must have vanished before it.
  nlohmann::ordered_json check(std::int64_t drained_ms) const;

  // Everything recorded, for the --ledger file.
  nlohmann::ordered_json to_json() const;

  static std::string message_key(const std::string& from, const std::string& message_id) {
    return from + "/" + message_id;
  }
  static std::string device_key(const std::string& handle, std::uint32_t device_id) {
    return handle + "/" + std::to_string(device_id);
  }

 private:
  struct Message {
    Send send;
    enum class State { kUnknown, kAccepted, kRefused } state = State::kUnknown;
    std::int64_t timestamp = 0;                   // the server's, from the result
    std::int64_t expires_at = 0;                  // 0 when it does not vanish
    std::map<std::uint32_t, std::uint64_t> seqs;  // by recipient device, from the result
    std::size_t retries = 0;
    std::size_t deferrals = 0;  // storage_full replies
    std::int64_t first_retry_ms = 0;
    bool retry_found_committed = false;  // a retry was answered with an earlier write's result
    std::string error;
  };
  struct Delivery {
    std::string device;
    std::string message;  // its key
    std::uint64_t seq = 0;
    std::uint64_t n = 0;  // read back from the ciphertext
    std::int64_t received_ms = 0;
    bool ciphertext_matches = false;
  };
  struct Attachment {
    std::string owner;
    std::uint64_t size = 0;
    std::string digest;
    AttachmentFate fate = AttachmentFate::kUnchecked;
    std::string detail;
  };

  std::map<std::string, Message> messages_;               // by message key
  std::vector<Delivery> deliveries_;                      // in the order they arrived
  std::map<std::string, std::set<std::uint64_t>> acked_;  // by device
  std::map<std::string, Attachment> attachments_;         // by id
  std::vector<std::string> violations_;                   // seen while recording
  std::uint64_t redelivered_after_ack_ = 0;
  // When the first and the last storage_full reply came (Unix ms; 0 without any).
  std::int64_t first_full_ms_ = 0;
  std::int64_t last_full_ms_ = 0;
};

// The ciphertext crash mode sends: "xchat-crash <from> <n> <attachment or ->" and random
// padding of `padding` bytes. parse_crash_number() reads n back (nullopt if malformed).
std::string make_crash_ciphertext(const std::string& from, std::uint64_t n,
                                  const std::string& attachment, std::size_t padding);
std::optional<std::uint64_t> parse_crash_number(const std::string& ciphertext);

}  // namespace xchat::bench
