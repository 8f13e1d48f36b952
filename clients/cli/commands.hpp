#pragma once

#include <cstdint>
#include <string>

namespace xchat::client::cli {

// Exit codes of every command (README "xchat exit codes").
enum ExitCode : int {
  kOk = 0,
  kUsage = 1,        // the command line was wrong
  kRefused = 2,      // the server refused the request (its error code is printed)
  kUnreachable = 3,  // the server could not be reached, or the connection was lost
  kLocal = 4,        // a local problem: no account, wrong passphrase, unreadable files
  kUnverified = 5,   // a received file failed verification (altered or truncated): not saved
};

struct GlobalOptions {
  std::string home;     // $XCHAT_HOME, else ~/.config/xchat
  bool json = false;    // one JSON object per line instead of text
  std::string ca_file;  // trust these CAs for wss:// instead of the system's
  int timeout_seconds = 10;
};

int init(const GlobalOptions& g, const std::string& server, const std::string& handle,
         std::uint32_t device, const std::string& invite, const std::string& link_file,
         const std::string& code);
// `vanish`: a duration (30s, 5m, 1h, 7d); empty for the conversation's timer.
int send(const GlobalOptions& g, const std::string& to, const std::string& text,
         const std::string& vanish);
// Sends the file at `path`; `vanish` as for send.
int send_file(const GlobalOptions& g, const std::string& to, const std::string& path,
              const std::string& vanish);
// Saves the file of message `message_id` at `path` (empty: its name in the current
// directory; a directory: its name there), never over an existing file unless `force`.
int get_file(const GlobalOptions& g, const std::string& message_id, const std::string& path,
             bool force);
// `value`: a duration or "off" sets the conversation's timer; empty shows it.
int timer(const GlobalOptions& g, const std::string& peer, const std::string& value);
// `message_id`: as send and history print it (base64, 24 characters).
int unsend(const GlobalOptions& g, const std::string& peer, const std::string& message_id);
int edit(const GlobalOptions& g, const std::string& peer, const std::string& message_id,
         const std::string& text);
int listen(const GlobalOptions& g, double seconds);
int chat(const GlobalOptions& g, const std::string& peer);
int history(const GlobalOptions& g, const std::string& peer, int limit);
int contacts(const GlobalOptions& g, const std::string& action, const std::string& handle);
int requests(const GlobalOptions& g, const std::string& action, const std::string& handle);
int block(const GlobalOptions& g, const std::string& handle, bool blocked);
int fingerprint(const GlobalOptions& g, const std::string& handle);
int devices(const GlobalOptions& g, const std::string& action, std::uint32_t id,
            const std::string& out_file);

}  // namespace xchat::client::cli
