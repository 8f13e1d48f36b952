#pragma once

#include <cstdint>
#include <string_view>

#include "store/local_store.hpp"

namespace xchat::client {

// Edits and unsends as they reach a device's history: from the peer, or from another of
// our own devices (a sync copy). The content that carries one is authenticated, so its
// author is known; what must still be checked is that the author is the one who sent the
// message it names, or anyone could change anyone's words.
enum class Amendment {
  kApplied,        // the message was replaced or removed
  kAddedAsNew,     // an edit of a message this device never had, kept as a message of its own
  kNoSuchMessage,  // a retraction of a message this device does not have (nothing to do)
  kNotTheSender,   // refused: the message was sent by someone else
};

// Removes `target` from the conversation with `peer`. `author` is who unsends it: kIn the
// peer, kOut one of our devices.
// A failure to write the store comes back as its Status.
Result<Amendment> apply_retraction(LocalStore& store, std::string_view peer,
                                   HistoryEntry::Direction author, std::string_view target,
                                   std::int64_t now_ms);

// Replaces the text of `edited.message_id` (the original's id) in the conversation with
// `edited.peer` by `edited.text`; `edited.direction` is the author as above. An edit of a
// message this device does not have (the original vanished before it arrived, or the
// device was added later) is stored as `edited` — a message marked edited under the
// original's id, so that later edits and an unsend still find it — rather than lost.
Result<Amendment> apply_edit(LocalStore& store, const HistoryEntry& edited, std::int64_t now_ms);

}  // namespace xchat::client
