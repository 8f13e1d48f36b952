#include "app/admin_command.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <sstream>

#include "app/store_options.hpp"
#include "crypto/random.hpp"
#include "service/clock.hpp"
#include "store/accounts.hpp"
#include "store/admin_log.hpp"
#include "store/invites.hpp"
#include "store/store.hpp"
#include "xchat/handle.hpp"

namespace xchat {

namespace {

// Crockford base32 without look-alike letters: codes are read and typed by people.
constexpr std::string_view kInviteAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kInviteChars = 20;  // 100 random bits

std::string new_invite_code() {
  const std::string raw = crypto::random_bytes(kInviteChars);
  std::string code;
  for (unsigned char c : raw) code.push_back(kInviteAlphabet[c % kInviteAlphabet.size()]);
  return code.substr(0, 5) + "-" + code.substr(5, 5) + "-" + code.substr(10, 5) + "-" +
         code.substr(15, 5);
}

std::string format_date(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "2027-01-31" (end of that day, UTC) to unix seconds.
std::optional<std::int64_t> parse_date(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%d");
  if (in.fail() || !in.eof()) return std::nullopt;
  tm.tm_hour = 23;
  tm.tm_min = 59;
  tm.tm_sec = 59;
  return static_cast<std::int64_t>(timegm(&tm));
}

struct Args {
  enum class Command {
    kNone,
    kInviteCreate,
    kGrant,
    kRevoke,
    kList,
    kSuspend,
    kUnsuspend,
    kDelete,
    kLog
  } command = Command::kNone;
  std::string handle;
  int count = 1;
  int expires_days = 0;
  int days = 0;
  std::string until;
  int limit = 50;
};

class AdminRunner {
 public:
  AdminRunner(const Args& args, store::Store& store) : args_(args), store_(store) {}

  int run() {
    switch (args_.command) {
      case Args::Command::kInviteCreate:
        return invite_create();
      case Args::Command::kGrant:
        return grant();
      case Args::Command::kRevoke:
        return change("subscription.revoke", "", [&](store::Database& db, const std::string& h) {
          return store::accounts::set_subscription(db, h, std::nullopt);
        });
      case Args::Command::kList:
        return list();
      case Args::Command::kSuspend:
        return change("account.suspend", "", [](store::Database& db, const std::string& h) {
          return store::accounts::set_suspended(db, h, true);
        });
      case Args::Command::kUnsuspend:
        return change("account.unsuspend", "", [](store::Database& db, const std::string& h) {
          return store::accounts::set_suspended(db, h, false);
        });
      case Args::Command::kDelete:
        return change("account.delete", "", [](store::Database& db, const std::string& h) {
          return store::accounts::remove(db, h);
        });
      case Args::Command::kLog:
        return show_log();
      case Args::Command::kNone:
        break;
    }
    return 1;
  }

 private:
  int fail(const std::string& message) {
    std::cerr << "xchatd admin: " << message << "\n";
    return 1;
  }

  // One audited change to one account, in one transaction.
  template <class Change>
  int change(const std::string& action, const std::string& detail, Change&& apply) {
    auto handle = parse_handle(args_.handle);
    if (!handle) return fail("'" + args_.handle + "' is not a handle (@name)");
    const std::int64_t now = clock_.unix_seconds();
    Status s = store_.writer().run([&](store::Database& db) -> Status {
      if (Status a = apply(db, handle->key); !a) return a;
      return store::admin_log::append(db, {now, action, handle->key, detail});
    });
    if (!s)
      return fail(s.code() == ErrorCode::kNotFound ? "no account " + args_.handle : s.message());
    spdlog::info("admin: {} {} {}", action, handle->key, detail);
    std::cout << action << " " << handle->key << (detail.empty() ? "" : " " + detail) << "\n";
    return 0;
  }

  int grant() {
    std::int64_t until = 0;
    if (!args_.until.empty()) {
      auto parsed = parse_date(args_.until);
      if (!parsed) return fail("--until must be a date YYYY-MM-DD");
      until = *parsed;
    } else {
      until = clock_.unix_seconds() + static_cast<std::int64_t>(args_.days) * 86400;
    }
    return change("subscription.grant", "until " + format_date(until),
                  [until](store::Database& db, const std::string& h) {
                    return store::accounts::set_subscription(db, h, until);
                  });
  }

  int invite_create() {
    const std::int64_t now = clock_.unix_seconds();
    std::optional<std::int64_t> expires;
    if (args_.expires_days > 0)
      expires = now + static_cast<std::int64_t>(args_.expires_days) * 86400;
    std::vector<std::string> codes;
    for (int i = 0; i < args_.count; ++i) codes.push_back(new_invite_code());
    const std::string detail = std::to_string(codes.size()) + " codes" +
                               (expires ? ", expiring " + format_date(*expires) : "");
    Status s = store_.writer().run([&](store::Database& db) -> Status {
      for (const auto& code : codes) {
        if (Status i = store::invites::insert(db, code, now, expires); !i) return i;
      }
      return store::admin_log::append(db, {now, "invite.create", "-", detail});
    });
    if (!s) return fail(s.message());
    spdlog::info("admin: invite.create {}", detail);  // the codes themselves are secrets
    for (const auto& code : codes) std::cout << code << "\n";
    return 0;
  }

  int list() {
    auto reader = store_.readers().acquire();
    if (!reader) return fail(reader.status().message());
    auto accounts = store::accounts::list(**reader);
    if (!accounts) return fail(accounts.status().message());
    const std::int64_t now = clock_.unix_seconds();
    std::cout << "handle\tcreated\tstatus\tsubscription\tdevices\n";
    for (const auto& a : *accounts) {
      auto devices = store::accounts::devices(**reader, a.id);
      std::cout << a.handle << "\t" << format_date(a.created_at) << "\t"
                << (a.suspended ? "suspended" : "active") << "\t"
                << (a.subscription_until ? (*a.subscription_until > now ? "until " : "expired ") +
                                               format_date(*a.subscription_until)
                                         : std::string("none"))
                << "\t" << (devices ? devices->size() : 0) << "\n";
    }
    return 0;
  }

  int show_log() {
    auto reader = store_.readers().acquire();
    if (!reader) return fail(reader.status().message());
    auto entries = store::admin_log::recent(**reader, args_.limit);
    if (!entries) return fail(entries.status().message());
    for (const auto& e : *entries) {
      std::cout << format_date(e.at) << "\t" << e.action << "\t" << e.target << "\t" << e.detail
                << "\n";
    }
    return 0;
  }

  const Args& args_;
  store::Store& store_;
  SystemClock clock_;
};

}  // namespace

std::function<int(const Config&)> add_admin_commands(CLI::App& admin) {
  auto args = std::make_shared<Args>();
  admin.require_subcommand(1);
  using C = Args::Command;
  auto set = [args](C c) { return [args, c] { args->command = c; }; };

  auto* invite = admin.add_subcommand("invite", "Invite codes for access.registration = invite");
  invite->require_subcommand(1);
  auto* create = invite->add_subcommand("create", "Create invite codes; prints one per line");
  create->add_option("--count", args->count, "How many codes")->check(CLI::Range(1, 1000));
  create->add_option("--expires-days", args->expires_days, "Days until the codes expire (0: never)")
      ->check(CLI::Range(0, 3650));
  create->callback(set(C::kInviteCreate));

  auto* sub = admin.add_subcommand("subscription", "Grant or revoke an account's subscription");
  sub->require_subcommand(1);
  auto* grant = sub->add_subcommand("grant", "Grant a subscription");
  grant->add_option("handle", args->handle, "@handle")->required();
  auto* until = grant->add_option("--until", args->until, "Last day, YYYY-MM-DD (UTC)");
  grant->add_option("--days", args->days, "Days from now")
      ->check(CLI::Range(1, 36500))
      ->excludes(until);
  grant->callback([args, grant] {
    if (args->until.empty() && args->days == 0)
      throw CLI::ValidationError("give --until or --days");
    args->command = C::kGrant;
    (void)grant;
  });
  auto* revoke = sub->add_subcommand("revoke", "End a subscription now");
  revoke->add_option("handle", args->handle, "@handle")->required();
  revoke->callback(set(C::kRevoke));

  auto* accounts = admin.add_subcommand("accounts", "List accounts");
  accounts->require_subcommand(1);
  accounts->add_subcommand("list", "List every account")->callback(set(C::kList));

  auto* account = admin.add_subcommand("account", "Suspend, unsuspend or delete an account");
  account->require_subcommand(1);
  for (auto [name, help, command] :
       {std::tuple{"suspend", "Refuse logins; live sessions close at their next request",
                   C::kSuspend},
        std::tuple{"unsuspend", "Allow logins again", C::kUnsuspend},
        std::tuple{"delete", "Delete the account and its devices", C::kDelete}}) {
    auto* cmd = account->add_subcommand(name, help);
    cmd->add_option("handle", args->handle, "@handle")->required();
    cmd->callback(set(command));
  }

  auto* log = admin.add_subcommand("log", "Show the audit log of admin actions, newest first");
  log->add_option("--limit", args->limit, "How many entries")->check(CLI::Range(1, 100000));
  log->callback(set(C::kLog));

  return [args](const Config& config) -> int {
    auto options = store_options(config);
    options.max_idle_readers = 1;
    auto store = store::Store::open(options, nullptr);
    if (!store) {
      std::cerr << "xchatd admin: " << store.status().message() << "\n";
      return 1;
    }
    const int rc = AdminRunner(*args, **store).run();
    (*store)->close();
    return rc;
  };
}

}  // namespace xchat
