#pragma once

#include <string_view>

namespace xchat {

// Logs go to stderr: journald collects them under systemd (and timestamps them, so the
// pattern leaves the time out when JOURNAL_STREAM says stderr is the journal).
// Never pass keys, signatures, tokens, invite codes or ciphertext to a log call.
void init_logging(std::string_view level);
void set_log_level(std::string_view level);

}  // namespace xchat
