// xchat: an end-to-end encrypted messenger for the terminal, on the xchat client library.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace cli = xchat::client::cli;

namespace {

std::string default_home() {
  if (const char* home = std::getenv("XCHAT_HOME"); home != nullptr && *home != '\0') return home;
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config != nullptr && *config != '\0') {
    return std::string(config) + "/xchat";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/xchat";
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "xchat: libsodium failed to initialise\n";
    return cli::kLocal;
  }
  CLI::App app{"xchat: end-to-end encrypted messages through an xchatd server"};
  app.require_subcommand(1);
  cli::GlobalOptions g;
  g.home = default_home();
  app.add_option("--home", g.home, "Where your keys and messages live ($XCHAT_HOME)");
  app.add_flag("--json", g.json, "One JSON object per line, for scripts");
  app.add_option("--ca-file", g.ca_file, "Trust these CA certificates for wss:// servers");
  app.add_option("--timeout", g.timeout_seconds, "Seconds to wait for the server")
      ->check(CLI::Range(1, 600));
  int result = cli::kOk;

  std::string server, handle, invite, link_file, code;
  std::uint32_t device = 1;
  auto* init = app.add_subcommand("init", "Create your account (or link this device to it)");
  init->add_option("--server", server, "ws://HOST:PORT/v1/ws or wss://…");
  init->add_option("--handle", handle, "Your @handle");
  init->add_option("--device", device, "This device's id (1 for your first)")
      ->check(CLI::Range(1, 2147483647));
  init->add_option("--invite", invite, "An invite code, if the server asks for one");
  init->add_option("--link", link_file, "A device package from `xchat devices add`");
  init->add_option("--code", code, "The code `xchat devices add` printed");
  init->callback([&] { result = cli::init(g, server, handle, device, invite, link_file, code); });

  std::string peer, vanish;
  std::vector<std::string> words;
  auto* send = app.add_subcommand("send", "Send a message");
  send->add_option("--vanish", vanish, "It vanishes this long after it is sent (30s, 5m, 1h, 7d)");
  send->add_option("handle", peer, "To whom")->required();
  send->add_option("text", words, "The message")->required();
  send->callback([&] { result = cli::send(g, peer, joined(words), vanish); });

  std::string path;
  auto* send_file = app.add_subcommand("send-file", "Send a file, encrypted end to end");
  send_file->add_option("--vanish", vanish,
                        "It vanishes this long after it is sent (30s, 5m, 1h, 7d)");
  send_file->add_option("handle", peer, "To whom")->required();
  send_file->add_option("path", path, "The file")->required();
  send_file->callback([&] { result = cli::send_file(g, peer, path, vanish); });

  std::string message_id;
  bool force = false;
  auto* get_file = app.add_subcommand("get-file", "Download, verify and save a file sent to you");
  get_file->add_option("message_id", message_id, "As listen and history print it")->required();
  get_file->add_option("path", path, "Where to save it (default: its name, here)");
  get_file->add_flag("--force", force, "Replace a file that is already there");
  get_file->callback([&] { result = cli::get_file(g, message_id, path, force); });

  std::string value;
  auto* timer = app.add_subcommand(
      "timer",
      "A conversation's vanishing timer: show it, set it (30s, 5m, 1h, 7d) or turn it off");
  timer->add_option("handle", peer, "With whom")->required();
  timer->add_option("duration", value, "A duration, or off");
  timer->callback([&] { result = cli::timer(g, peer, value); });

  auto* unsend = app.add_subcommand("unsend", "Delete a message of yours for everyone");
  unsend->add_option("handle", peer, "The conversation")->required();
  unsend->add_option("message_id", message_id, "As send and history print it")->required();
  unsend->callback([&] { result = cli::unsend(g, peer, message_id); });

  auto* edit = app.add_subcommand("edit", "Replace the text of a message of yours");
  edit->add_option("handle", peer, "The conversation")->required();
  edit->add_option("message_id", message_id, "As send and history print it")->required();
  edit->add_option("text", words, "The new text")->required();
  edit->callback([&] { result = cli::edit(g, peer, message_id, joined(words)); });

  double seconds = 0;
  auto* listen = app.add_subcommand("listen", "Print messages as they arrive (and send receipts)");
  listen->add_option("--seconds", seconds, "Stop after this long (default: until Ctrl-C)");
  listen->callback([&] { result = cli::listen(g, seconds); });

  auto* chat = app.add_subcommand("chat", "A conversation, line by line");
  chat->add_option("handle", peer, "With whom")->required();
  chat->callback([&] { result = cli::chat(g, peer); });

  int limit = 50;
  auto* history = app.add_subcommand("history", "Show a conversation");
  history->add_option("handle", peer, "With whom")->required();
  history->add_option("--limit", limit, "How many messages, newest last")
      ->check(CLI::Range(1, 100000));
  history->callback([&] { result = cli::history(g, peer, limit); });

  std::string action;
  auto* contacts = app.add_subcommand("contacts", "add @h | remove @h | list");
  contacts->add_option("action", action, "add, remove or list")
      ->required()
      ->check(CLI::IsMember({"add", "remove", "list"}));
  contacts->add_option("handle", peer, "Whom");
  contacts->callback([&] {
    if (action != "list" && peer.empty())
      throw CLI::ValidationError("contacts " + action + " needs a @handle");
    result = cli::contacts(g, action, peer);
  });

  auto* requests = app.add_subcommand("requests", "Message requests: list, accept @h, block @h");
  requests->add_option("action", action, "list, accept or block")
      ->check(CLI::IsMember({"list", "accept", "block"}));
  requests->add_option("handle", peer, "Whose request");
  requests->callback([&] {
    if ((action == "accept" || action == "block") && peer.empty()) {
      throw CLI::ValidationError("requests " + action + " needs a @handle");
    }
    result = cli::requests(g, action, peer);
  });

  auto* block = app.add_subcommand("block", "Block a handle");
  block->add_option("handle", peer, "Whom")->required();
  block->callback([&] { result = cli::block(g, peer, true); });
  auto* unblock = app.add_subcommand("unblock", "Unblock a handle");
  unblock->add_option("handle", peer, "Whom")->required();
  unblock->callback([&] { result = cli::block(g, peer, false); });

  auto* fingerprint =
      app.add_subcommand("fingerprint", "The safety number to compare with someone");
  fingerprint->add_option("handle", peer, "With whom")->required();
  fingerprint->callback([&] { result = cli::fingerprint(g, peer); });

  std::uint32_t id = 0;
  std::string out_file;
  auto* devices = app.add_subcommand("devices", "list | add ID [--out FILE] | remove ID");
  devices->add_option("action", action, "list, add or remove")
      ->required()
      ->check(CLI::IsMember({"list", "add", "remove"}));
  devices->add_option("id", id, "The device id")->check(CLI::Range(1, 2147483647));
  devices->add_option("--out", out_file, "Where `add` writes the device package");
  devices->callback([&] {
    if (action != "list" && id == 0)
      throw CLI::ValidationError("devices " + action + " needs an id");
    result = cli::devices(g, action, id, out_file);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kUsage;
  }
  return result;
}
