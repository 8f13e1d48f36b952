#include "messenger/amendments.hpp"

namespace xchat::client {

Amendment apply_retraction(LocalStore& store, std::string_view peer, HistoryEntry::Direction author,
                           std::string_view target, std::int64_t now_ms) {
  const auto original = store.message(peer, target, now_ms);
  if (!original) return Amendment::kNoSuchMessage;
  if (original->direction != author) return Amendment::kNotTheSender;
  return store.remove_message(peer, target) ? Amendment::kApplied : Amendment::kNoSuchMessage;
}

Amendment apply_edit(LocalStore& store, const HistoryEntry& edited, std::int64_t now_ms) {
  const auto original = store.message(edited.peer, edited.message_id, now_ms);
  if (!original) {
    HistoryEntry added = edited;
    added.edited = true;
    return store.add_history(added) ? Amendment::kAddedAsNew : Amendment::kNoSuchMessage;
  }
  if (original->direction != edited.direction) return Amendment::kNotTheSender;
  return store.replace_text(*original, edited.text) ? Amendment::kApplied
                                                    : Amendment::kNoSuchMessage;
}

}  // namespace xchat::client
