#include "messenger/amendments.hpp"

namespace xchat::client {

Result<Amendment> apply_retraction(LocalStore& store, std::string_view peer,
                                   HistoryEntry::Direction author, std::string_view target,
                                   std::int64_t now_ms) {
  const auto original = store.message(peer, target, now_ms);
  if (!original) return Amendment::kNoSuchMessage;
  if (original->direction != author) return Amendment::kNotTheSender;
  if (Status s = store.remove_message(peer, target); !s) return s;
  return Amendment::kApplied;
}

Result<Amendment> apply_edit(LocalStore& store, const HistoryEntry& edited, std::int64_t now_ms) {
  const auto original = store.message(edited.peer, edited.message_id, now_ms);
  if (!original) {
    HistoryEntry added = edited;
    added.edited = true;
    if (Status s = store.add_history(added); !s) return s;
    return Amendment::kAddedAsNew;
  }
  if (original->direction != edited.direction) return Amendment::kNotTheSender;
  if (Status s = store.replace_text(*original, edited.text); !s) return s;
  return Amendment::kApplied;
}

}  // namespace xchat::client
