#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

// Each account's two lists of other accounts: its contacts (who may always message it) and
// the handles it blocked (whose envelopes are dropped). The lists are one-way: being in
// someone's contacts says nothing about them being in yours.
namespace xchat::store::contacts {

enum class List { kContacts, kBlocked };

struct Entry {
  std::string handle;         // display form
  std::string handle_key;     // canonical form
  std::string identity_key;   // 32 bytes
  std::int64_t added_at = 0;  // unix milliseconds
};

// How a recipient's lists and setting treat a sender.
struct Standing {
  bool contact = false;
  bool blocked = false;
  bool contacts_only = false;  // the recipient's who_can_message = contacts
};

// Adds `other_id` to the account's list (keeping the first added_at when it is there
// already) and returns the entry. kTooLarge when the list holds `max` entries already.
Result<Entry> add(Database& db, List list, std::int64_t account_id, std::int64_t other_id,
                  std::int64_t now, std::int64_t max);

// Whether it was on the list.
Result<bool> remove(Database& db, List list, std::int64_t account_id, std::int64_t other_id);

// Ordered by canonical handle.
Result<std::vector<Entry>> list(Database& db, List list, std::int64_t account_id);

Result<Standing> standing(Database& db, std::int64_t recipient_id, std::int64_t sender_id);

}  // namespace xchat::store::contacts
