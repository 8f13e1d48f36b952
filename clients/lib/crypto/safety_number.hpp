#pragma once

#include <string>
#include <string_view>

namespace xchat::client {

// Safety numbers: what two users compare (read aloud, or side by side) to know that the
// account identity keys their apps use are each other's, and not keys a server slipped in.
// Signal's numeric fingerprint (version 0, 5200 iterations of SHA-512), with the canonical
// handle as the stable identifier. docs/crypto.md §5 has the exact definition.

// 30 digits for one account.
std::string fingerprint(std::string_view handle_key, std::string_view identity_key);

// 60 digits for two accounts, the same whichever side computes it: the two fingerprints,
// the smaller first.
std::string safety_number(std::string_view handle_a, std::string_view identity_key_a,
                          std::string_view handle_b, std::string_view identity_key_b);

// "12345 67890 ..." : groups of five digits, for display.
std::string group_digits(std::string_view digits);

}  // namespace xchat::client
