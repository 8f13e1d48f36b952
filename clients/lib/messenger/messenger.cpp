#include "messenger/messenger.hpp"

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "crypto/byte_reader.hpp"
#include "crypto/random.hpp"  // the core's (src/crypto)
#include "crypto/safety_number.hpp"
#include "messenger/amendments.hpp"
#include "messenger/attachment_download.hpp"
#include "messenger/attachment_upload.hpp"
#include "messenger/media_type.hpp"
#include "messenger/sealed_file_reader.hpp"
#include "messenger/server_data.hpp"
#include "xchat/base64.hpp"
#include "xchat/error_code.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

using nlohmann::json;

// How many one-time prekeys a device keeps published, and below how many the server's
// prekeys_low push makes it upload more (the server sends it below 10).
constexpr std::uint32_t kOneTimePrekeys = 100;
constexpr int kSendAttempts = 4;  // a send, then up to three device-list refreshes
constexpr std::size_t kMessageIdBytes = 16;
constexpr std::uint8_t kReceiptDelivered = 1;
constexpr std::uint8_t kReceiptRead = 2;
constexpr std::string_view kDeviceLinkLabel = "xchat-device-link-v1";
constexpr std::size_t kMaxUrlBytes = 1024;

std::string sign(std::string_view message, std::string_view secret_key) {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return signature;
}

struct SignKeyPair {
  std::string public_key;
  std::string secret_key;
};

SignKeyPair new_sign_key_pair() {
  SignKeyPair pair{std::string(crypto_sign_PUBLICKEYBYTES, '\0'),
                   std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                      reinterpret_cast<unsigned char*>(pair.secret_key.data()));
  return pair;
}

std::string b64(std::string_view bytes) { return base64_encode(bytes); }

// The canonical form of a handle the user typed.
Result<std::string> canonical(std::string_view handle) {
  auto parsed = parse_handle(handle);
  if (!parsed) return Status(ErrorCode::kInvalidHandle, "not a handle: " + std::string(handle));
  return parsed->key;
}

// The "device" object of register and device.add: the device key, vouched for by the
// account's identity key.
json device_binding(const std::string& handle_key, std::uint32_t device_id,
                    const SignKeyPair& device, std::string_view identity_secret) {
  return {{"id", device_id},
          {"key", b64(device.public_key)},
          {"signature", b64(sign(device_binding_message(handle_key, device_id, device.public_key),
                                 identity_secret))}};
}

// A receipt's body: its kind, then the ids of the messages it answers.
std::string receipt_body(std::uint8_t kind, const std::vector<std::string>& message_ids) {
  std::string body(1, static_cast<char>(kind));
  for (const auto& id : message_ids) body += id;
  return body;
}

// A content of `type` for send_content() to complete.
Content new_content(ContentType type, std::string body, std::uint32_t expires_in = 0) {
  Content c;
  c.type = type;
  c.body = std::move(body);
  c.expires_in = expires_in;
  return c;
}

// The name a file is sent under: its base name, or "file" for a path that has none.
std::string attachment_name(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  return FileAttachment::valid_name(name) ? name : "file";
}

// When a message vanishes (ms; 0 never): the server's expires_at, but no later than its
// timestamp plus the timer its content carries, so that a server which drops or moves
// expires_at cannot keep a message alive on the recipient's device.
std::int64_t vanishes_at(std::int64_t server_expires_at, std::int64_t timestamp_ms,
                         std::uint32_t expires_in) {
  if (expires_in == 0) return server_expires_at;
  const std::int64_t by_content = timestamp_ms + std::int64_t{expires_in} * 1000;
  return server_expires_at == 0 ? by_content : std::min(server_expires_at, by_content);
}

// The signed prekey as stored: u32 id || secret (32) || signature (64).
struct StoredSignedPrekey {
  std::uint32_t id = 0;
  X25519KeyPair pair;
  std::string signature;

  std::string encode() const { return u32_field(id) + pair.secret_key + signature; }
  static std::optional<StoredSignedPrekey> decode(std::string_view bytes) {
    if (bytes.size() != 4 + kX25519Bytes + crypto_sign_BYTES) return std::nullopt;
    ByteReader r(bytes);
    StoredSignedPrekey s;
    s.id = r.u32();
    s.pair = X25519KeyPair::from_secret(r.take(kX25519Bytes));
    s.signature = r.take(crypto_sign_BYTES);
    return s;
  }
};

}  // namespace

Messenger::Messenger(MessengerOptions options, std::unique_ptr<LocalStore> store)
    : options_(std::move(options)), store_(std::move(store)) {}

Messenger::~Messenger() {
  if (ws_) ws_->close();
}

std::int64_t Messenger::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<json> Messenger::call(std::string_view type, json fields) {
  last_error_ = json::object();
  if (!ws_ || !ws_->is_open())
    return Status(ErrorCode::kUnavailable, "not connected to the server");
  fields["type"] = type;
  fields["id"] = next_id_++;
  json reply = ws_->request(std::move(fields), options_.timeout);
  if (reply.is_null()) {
    return Status(ErrorCode::kUnavailable,
                  "no answer from the server (connection lost or timed out)");
  }
  return parse_reply(reply, &last_error_);
}

Result<std::unique_ptr<Messenger>> Messenger::prepare(
    const MessengerOptions& options, std::string_view url, std::string_view display_handle,
    std::uint32_t device_id, std::string_view identity_public, std::string_view identity_secret,
    std::string_view device_sign_secret) {
  auto parsed = parse_handle(display_handle);
  if (!parsed)
    return Status(ErrorCode::kInvalidHandle, "not a handle: " + std::string(display_handle));
  if (!ServerUrl::parse(url)) {
    return Status(ErrorCode::kBadRequest, "not a ws:// or wss:// URL: " + std::string(url));
  }
  auto store = LocalStore::open(options.home, options.passphrase);
  if (!store) return store.status();
  if ((*store)->setting("handle")) {
    return Status(ErrorCode::kBadRequest, options.home + " already holds an account");
  }
  std::unique_ptr<Messenger> m(new Messenger(options, std::move(*store)));
  m->handle_ = parsed->key;
  m->device_id_ = device_id;
  const X25519KeyPair device_dh = options.keys();
  LocalStore& s = *m->store_;
  for (const Status& st :
       {s.put_secret("identity_sign_secret", identity_secret),
        s.put_secret("device_sign_secret", device_sign_secret),
        s.put_secret("device_dh_secret", device_dh.secret_key),
        s.set_setting("identity_key", identity_public), s.set_setting("server", url),
        s.set_setting("handle", parsed->key), s.set_setting("display_handle", parsed->display),
        s.set_setting("device_id", std::to_string(device_id))}) {
    if (!st) return st;
  }
  StoredSignedPrekey spk;
  spk.id = 1;
  spk.pair = options.keys();
  spk.signature = sign(signed_prekey_message(parsed->key, device_id, device_dh.public_key, spk.id,
                                             spk.pair.public_key),
                       identity_secret);
  if (Status st = s.put_secret("signed_prekey", spk.encode()); !st) return st;
  return m;
}

Result<std::unique_ptr<Messenger>> Messenger::init(const MessengerOptions& options,
                                                   std::string_view url, std::string_view handle,
                                                   std::uint32_t device_id,
                                                   std::string_view invite) {
  const SignKeyPair identity = new_sign_key_pair();
  const SignKeyPair device = new_sign_key_pair();
  auto prepared = prepare(options, url, handle, device_id, identity.public_key, identity.secret_key,
                          device.secret_key);
  if (!prepared) return prepared.status();
  std::unique_ptr<Messenger> m = std::move(*prepared);
  const auto parsed_url = ServerUrl::parse(url);
  std::string error;
  m->ws_ = WsClient::connect(parsed_url->port, parsed_url->options(options.connect), &error);
  if (!m->ws_)
    return Status(ErrorCode::kUnavailable, "cannot reach " + std::string(url) + ": " + error);
  json registration = {
      {"handle", std::string(handle)},
      {"identity_key", b64(identity.public_key)},
      {"device", device_binding(m->handle_, device_id, device, identity.secret_key)}};
  if (!invite.empty()) registration["invite"] = invite;
  if (auto r = m->call("register", registration); !r) return r.status();
  if (Status st = m->connect_and_login(); !st) return st;
  if (Status st = m->upload_keys(true, kOneTimePrekeys); !st) return st;
  return m;
}

Result<Messenger::DeviceLink> Messenger::add_device(std::uint32_t device_id) {
  const auto identity_secret = store_->secret("identity_sign_secret");
  const auto identity_public = store_->setting("identity_key");
  if (!identity_secret || !identity_public) {
    return Status(ErrorCode::kInternal, "this device does not hold the account's identity key");
  }
  const SignKeyPair device = new_sign_key_pair();
  auto added = call("device.add",
                    {{"device", device_binding(handle_, device_id, device, *identity_secret)}});
  if (!added) return added.status();
  DeviceLink link;
  const std::string code_bytes = crypto::random_bytes(10);
  std::string hex(2 * code_bytes.size() + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(code_bytes.data()),
                 code_bytes.size());
  hex.pop_back();
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (i > 0) link.code += '-';
    link.code += hex.substr(i, 4);
  }
  const std::string salt = Vault::new_salt();
  auto vault = Vault::unlock(link.code, salt);
  if (!vault) return Status(ErrorCode::kInternal, "not enough memory for the key derivation");
  const std::string contents = labelled_fields(
      kDeviceLinkLabel,
      {store_->setting("server").value_or(""), store_->setting("display_handle").value_or(handle_),
       u32_field(device_id), *identity_public, *identity_secret, device.secret_key});
  link.package = salt + vault->seal(contents, kDeviceLinkLabel);
  return link;
}

Result<std::unique_ptr<Messenger>> Messenger::link(const MessengerOptions& options,
                                                   std::string_view package,
                                                   std::string_view code) {
  if (package.size() < Vault::kSaltBytes)
    return Status(ErrorCode::kBadRequest, "not a device package");
  auto vault = Vault::unlock(code, package.substr(0, Vault::kSaltBytes));
  if (!vault) return Status(ErrorCode::kInternal, "not enough memory for the key derivation");
  auto contents = vault->open(package.substr(Vault::kSaltBytes), kDeviceLinkLabel);
  if (!contents) return Status(ErrorCode::kBadSignature, "wrong code, or not a device package");
  ByteReader r(*contents);
  r.expect_label(kDeviceLinkLabel);
  const std::string url = r.sized(kMaxUrlBytes);
  const std::string display = r.sized(kMaxHandleFieldBytes);
  const std::uint32_t device = r.field_u32();
  const std::string identity_public = r.field(crypto_sign_PUBLICKEYBYTES);
  std::string identity_secret = r.field(crypto_sign_SECRETKEYBYTES);
  std::string device_secret = r.field(crypto_sign_SECRETKEYBYTES);
  if (!r.at_end()) return Status(ErrorCode::kBadRequest, "not a device package");
  auto prepared =
      prepare(options, url, display, device, identity_public, identity_secret, device_secret);
  sodium_memzero(identity_secret.data(), identity_secret.size());
  sodium_memzero(device_secret.data(), device_secret.size());
  if (!prepared) return prepared.status();
  std::unique_ptr<Messenger> m = std::move(*prepared);
  if (Status st = m->connect_and_login(); !st) return st;
  if (Status st = m->upload_keys(true, kOneTimePrekeys); !st) return st;
  return m;
}

std::vector<std::string> Messenger::requests() { return store_->requests(); }

Status Messenger::answer_request(std::string_view handle, bool accept) {
  const auto peer = canonical(handle);
  if (!peer) return peer.status();
  auto r = call(accept ? "contacts.add" : "blocks.add", {{"handle", *peer}});
  if (!r) return r.status();
  return store_->remove_request(*peer);
}

Result<std::unique_ptr<Messenger>> Messenger::open(const MessengerOptions& options) {
  auto store = LocalStore::open(options.home, options.passphrase);
  if (!store) return store.status();
  auto handle = (*store)->setting("handle");
  auto device = (*store)->setting("device_id");
  if (!handle || !device) {
    return Status(ErrorCode::kNotFound, "no account in " + options.home + "; run xchat init first");
  }
  std::unique_ptr<Messenger> m(new Messenger(options, std::move(*store)));
  m->handle_ = *handle;
  m->device_id_ = static_cast<std::uint32_t>(std::stoul(*device));
  m->purge_expired();
  if (Status st = m->connect_and_login(); !st) return st;
  return m;
}

Status Messenger::connect_and_login() {
  const auto url = store_->setting("server");
  auto parsed_url = url ? ServerUrl::parse(*url) : std::nullopt;
  if (!parsed_url) return Status(ErrorCode::kInternal, "the stored server address is unusable");
  if (!ws_ || !ws_->is_open()) {
    std::string error;
    ws_ = WsClient::connect(parsed_url->port, parsed_url->options(options_.connect), &error);
    if (!ws_) return Status(ErrorCode::kUnavailable, "cannot reach " + *url + ": " + error);
  }
  auto challenge = call("auth.challenge", json::object());
  if (!challenge) return challenge.status();
  auto parsed = parse_challenge(*challenge);
  if (!parsed) return parsed.status();
  const std::string& nonce = parsed->nonce;
  const std::string& server = parsed->server;
  const auto device_secret = store_->secret("device_sign_secret");
  if (!device_secret)
    return Status(ErrorCode::kInternal, "the device key is missing from the store");
  auto login =
      call("auth.login", {{"handle", handle_},
                          {"device_id", device_id_},
                          {"nonce", b64(nonce)},
                          {"signature", b64(sign(login_message(server, handle_, device_id_, nonce),
                                                 *device_secret))}});
  return login ? Status::ok() : login.status();
}

Status Messenger::ensure_connected() {
  constexpr std::chrono::milliseconds kFirstBackoff{250};
  constexpr std::chrono::milliseconds kMaxBackoff{30000};
  if (ws_ && ws_->is_open()) return Status::ok();
  // 4409: this device logged in on another connection; 4403: the account or device was
  // suspended or removed. Both are decisions made elsewhere: coming back would undo them.
  if (ws_ && (ws_->close_code() == 4409 || ws_->close_code() == 4403)) {
    return Status(ErrorCode::kUnavailable,
                  ws_->close_code() == 4409
                      ? "this device connected from somewhere else; this session ended"
                      : "the server ended this session (account or device suspended or removed)");
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    return Status(ErrorCode::kUnavailable, "not connected to the server; retrying shortly");
  }
  Status s = connect_and_login();
  if (s) {
    backoff_ = kFirstBackoff;
    return s;
  }
  if (ws_) ws_->close();
  ws_.reset();
  // Jitter (up to a quarter) keeps many clients from coming back in step after an outage.
  const auto jitter = std::chrono::milliseconds(
      randombytes_uniform(static_cast<std::uint32_t>(backoff_.count() / 4 + 1)));
  next_attempt_ = now + backoff_ + jitter;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  return s;
}

Status Messenger::upload_keys(bool with_identity, std::uint32_t one_time_count) {
  json upload = json::object();
  if (with_identity) {
    const auto dh_secret = store_->secret("device_dh_secret");
    const auto spk = StoredSignedPrekey::decode(store_->secret("signed_prekey").value_or(""));
    if (!dh_secret || !spk)
      return Status(ErrorCode::kInternal, "device keys missing from the store");
    upload["identity_dh_key"] = b64(X25519KeyPair::from_secret(*dh_secret).public_key);
    upload["signed_prekey"] = {
        {"id", spk->id}, {"key", b64(spk->pair.public_key)}, {"signature", b64(spk->signature)}};
  }
  // Stored before they are published, so that no prekey the server hands out is unknown
  // here; taken back if the server refuses them (a stale prekeys_low, say, that would take
  // the device over its limit).
  json prekeys = json::array();
  const std::uint32_t first = store_->highest_one_time_prekey_id() + 1;
  for (std::uint32_t id = first; id < first + one_time_count; ++id) {
    const X25519KeyPair pair = options_.keys();
    if (Status st = store_->put_one_time_prekey(id, pair.secret_key); !st) return st;
    prekeys.push_back({{"id", id}, {"key", b64(pair.public_key)}});
  }
  upload["one_time_prekeys"] = std::move(prekeys);
  auto r = call("keys.upload", std::move(upload));
  if (!r) {
    for (std::uint32_t id = first; id < first + one_time_count; ++id) {
      store_->remove_one_time_prekey(id);
    }
    return r.status();
  }
  return Status::ok();
}

const X25519KeyPair* Messenger::cached_prekey(std::map<std::uint32_t, X25519KeyPair>& cache,
                                              std::uint32_t id,
                                              const std::optional<std::string>& secret) {
  if (auto it = cache.find(id); it != cache.end()) return &it->second;
  if (!secret || secret->size() != kX25519Bytes) return nullptr;
  return &cache.emplace(id, X25519KeyPair::from_secret(*secret)).first->second;
}

LocalDevice Messenger::local_device() {
  LocalDevice me;
  const auto dh_secret =
      store_->secret("device_dh_secret").value_or(std::string(kX25519Bytes, '\0'));
  const auto spk = StoredSignedPrekey::decode(store_->secret("signed_prekey").value_or(""));
  me.party = Party{handle_, device_id_, store_->setting("identity_key").value_or(""),
                   X25519KeyPair::from_secret(dh_secret).public_key};
  me.identity_dh_secret = dh_secret;
  if (spk) {
    me.certificate = DeviceCertificate{me.party, spk->id, spk->pair.public_key, spk->signature};
    signed_prekeys_.insert_or_assign(spk->id, spk->pair);
  }
  me.signed_prekey = [this](std::uint32_t id) -> const X25519KeyPair* {
    auto it = signed_prekeys_.find(id);
    return it == signed_prekeys_.end() ? nullptr : &it->second;
  };
  me.one_time_prekey = [this](std::uint32_t id) {
    return cached_prekey(one_time_prekeys_, id, store_->one_time_prekey(id));
  };
  return me;
}

void Messenger::note_identity(const std::string& handle, const std::string& identity_key) {
  const auto pinned = store_->pinned_identity(handle);
  if (pinned && *pinned == identity_key) return;
  if (pinned) {
    Event e;
    e.kind = Event::Kind::kIdentityChanged;
    e.peer = handle;
    e.text = handle + "'s identity key has changed: compare safety numbers (xchat fingerprint " +
             handle + ") before trusting new messages";
    events_.push_back(std::move(e));
    // Sessions made with the old key are worthless now.
    for (const auto d : store_->session_devices(handle)) store_->remove_session(handle, d);
  }
  store_->pin_identity(handle, identity_key);
}

// keys.fetch for `handle`, and a new session with each of its devices we have none with
// (our own device skipped).
Status Messenger::fetch_sessions(const std::string& handle, bool own) {
  auto bundle = call("keys.fetch", {{"handle", handle}});
  if (!bundle) return bundle.status();
  auto keys = parse_keys_fetch(*bundle, handle);
  if (!keys) return keys.status();
  note_identity(handle, keys->identity_key);
  const LocalDevice me = local_device();
  const auto existing = store_->session_devices(handle);
  auto refuse = [&](std::uint32_t device, std::string_view why) {
    Event e;
    e.kind = Event::Kind::kWarning;
    e.peer = handle;
    e.device = device;
    e.text = "refused the keys of " + handle + " device " + std::to_string(device) + ": " +
             std::string(why);
    events_.push_back(std::move(e));
  };
  for (const FetchedDevice& d : keys->devices) {
    if (own && d.device_id == device_id_) continue;
    if (std::find(existing.begin(), existing.end(), d.device_id) != existing.end()) continue;
    if (!d.bundle) {
      refuse(d.device_id, d.bundle.status().message());
      continue;
    }
    auto session = Session::initiate(me, *d.bundle, options_.keys);
    if (auto* error = std::get_if<CryptoError>(&session)) {
      refuse(d.device_id, to_string(*error));
      continue;
    }
    if (Status st = store_->put_session(std::get<Session>(session)); !st) return st;
  }
  return Status::ok();
}

// After stale_devices: forget devices that are gone, make sessions with new ones.
Status Messenger::refresh_after_stale(const std::string& handle, const json& devices, bool own) {
  auto current = parse_device_ids(devices);
  if (!current) return current.status();
  for (const auto d : store_->session_devices(handle)) {
    if (!current->contains(d)) store_->remove_session(handle, d);
  }
  return fetch_sessions(handle, own);
}

// One envelope per device `handle` has a session with; each session is stored advanced.
Result<json> Messenger::seal_for(const std::string& handle, bool own, const Content& content) {
  const std::string plaintext = content.encode();
  json list = json::array();
  for (const auto device : store_->session_devices(handle)) {
    if (own && device == device_id_) continue;
    auto session = store_->session(handle, device, options_.keys);
    if (!session) continue;
    const std::string sealed = session->encrypt(plaintext);
    if (Status st = store_->put_session(*session); !st) return st;
    list.push_back({{"device_id", device}, {"ciphertext", b64(sealed)}});
  }
  return list;
}

Result<Sent> Messenger::send_content(const std::string& to, Content content, json extra,
                                     bool with_sync) {
  if (Status s = ensure_connected(); !s) return s;
  content.timestamp_ms = now_ms();
  content.sender_handle = handle_;
  content.sender_device = device_id_;
  content.message_id = crypto::random_bytes(kMessageIdBytes);
  if (store_->session_devices(to).empty()) {
    if (Status st = fetch_sessions(to, false); !st) return st;
  }
  for (int attempt = 0; attempt < kSendAttempts; ++attempt) {
    auto envelopes = seal_for(to, false, content);
    if (!envelopes) return envelopes.status();
    json request = extra;
    request["to"] = to;
    request["message_id"] = b64(content.message_id);
    request["envelopes"] = *envelopes;
    if (with_sync) {
      Content copy = content;
      copy.recipient = to;
      auto sync = seal_for(handle_, true, copy);
      if (!sync) return sync.status();
      request["sync"] = *sync;
    }
    auto reply = call("send", std::move(request));
    if (reply) {
      auto result = parse_send_result(*reply);
      if (!result) return result.status();
      return Sent{content.message_id, result->timestamp_ms, envelopes->size(), result->expires_at};
    }
    if (reply.status().code() != ErrorCode::kStaleDevices) return reply.status();
    const json details = last_error_;
    if (Status st = refresh_after_stale(to, details.value("devices", json::array()), false); !st) {
      return st;
    }
    if (with_sync && details.contains("sync_devices")) {
      if (Status st = refresh_after_stale(handle_, details["sync_devices"], true); !st) return st;
    }
  }
  return Status(ErrorCode::kStaleDevices, "the recipient's devices kept changing; try again");
}

Result<Sent> Messenger::send_text(std::string_view to, std::string_view text,
                                  std::optional<std::uint32_t> expires_in) {
  return send_message(to, std::string(text), std::nullopt, expires_in);
}

Result<std::string> Messenger::recipient(std::string_view to) const {
  auto peer = canonical(to);
  if (peer && *peer == handle_) {
    return Status(ErrorCode::kBadRequest,
                  "that is you: your other devices get copies of what you send");
  }
  return peer;
}

Result<Sent> Messenger::send_message(std::string_view to, std::string text,
                                     std::optional<FileAttachment> file,
                                     std::optional<std::uint32_t> expires_in) {
  const auto peer = recipient(to);
  if (!peer) return peer.status();
  const std::uint32_t seconds = expires_in.value_or(store_->timer(*peer));
  json extra = json::object();
  if (seconds != 0) extra["expires_in"] = seconds;
  if (file) extra["attachments"] = json::array({file->id});
  auto sent = send_content(*peer,
                           file ? new_content(ContentType::kFile, file->encode(), seconds)
                                : new_content(ContentType::kText, text, seconds),
                           std::move(extra), true);
  if (!sent) return sent;
  HistoryEntry e;
  e.peer = *peer;
  e.direction = HistoryEntry::Direction::kOut;
  e.message_id = sent->message_id;
  e.timestamp_ms = sent->timestamp_ms;
  e.peer_device = device_id_;
  e.text = std::move(text);
  e.file = std::move(file);
  e.state = HistoryEntry::State::kSent;
  e.expires_at = vanishes_at(sent->expires_at, sent->timestamp_ms, seconds);
  if (Status st = store_->add_history(e); !st) return st;
  return sent;
}

Result<Sent> Messenger::send_file(std::string_view to, const std::string& path,
                                  std::optional<std::uint32_t> expires_in,
                                  const TransferProgress& progress) {
  // Checked before the upload, which would otherwise be for nothing.
  const auto peer = recipient(to);
  if (!peer) return peer.status();
  auto reader = SealedFileReader::open(path);
  if (!reader) return reader.status();
  auto http = attachment_http([this]() -> Result<std::string> {
    auto granted = call_connected("attachment.upload_token", json::object());
    if (!granted) return granted.status();
    return parse_token(*granted);
  });
  if (!http) return http.status();
  auto id = upload_attachment(*http, **reader, keeping_alive(progress));
  if (!id) return id.status();
  auto digest = (*reader)->digest();
  if (!digest) return digest.status();
  FileAttachment file;
  file.id = std::move(*id);
  file.key = (*reader)->key();
  file.digest = std::move(*digest);
  file.ciphertext_size = (*reader)->ciphertext_size();
  file.plaintext_size = (*reader)->plaintext_size();
  file.name = attachment_name(path);
  file.media_type = media_type_for(file.name);
  return send_message(*peer, "", std::move(file), expires_in);
}

std::optional<HistoryEntry> Messenger::file_message(std::string_view message_id) {
  return store_->file_message(message_id, now_ms());
}

Status Messenger::fetch_file(const HistoryEntry& message, PendingFile& out,
                             const TransferProgress& progress) {
  if (!message.file) return Status(ErrorCode::kBadRequest, "that message carries no file");
  const FileAttachment& file = *message.file;
  auto http = attachment_http([&]() -> Result<std::string> {
    auto granted = call_connected("attachment.download_token", {{"attachment", file.id}});
    if (!granted) {
      if (granted.status().code() != ErrorCode::kNotFound) return granted.status();
      return Status(ErrorCode::kNotFound,
                    "the server no longer has this file (it vanished, expired or was deleted)");
    }
    // The size it reports is not trusted: the stream itself says whether it is whole.
    return parse_token(*granted);
  });
  if (!http) return http.status();
  return download_attachment(*http, file, out, keeping_alive(progress));
}

Result<json> Messenger::call_connected(std::string_view type, json fields) {
  if (Status s = ensure_connected(); !s) return s;
  auto r = call(type, fields);
  // Found dead only now (the write or the read failed): once more on a new connection.
  if (!r && r.status().code() == ErrorCode::kUnavailable && (!ws_ || !ws_->is_open())) {
    if (Status s = ensure_connected(); !s) return s;
    r = call(type, std::move(fields));
  }
  return r;
}

Result<AttachmentHttp> Messenger::attachment_http(TokenSource tokens) {
  const auto url = store_->setting("server");
  const auto server = url ? ServerUrl::parse(*url) : std::nullopt;
  if (!server) return Status(ErrorCode::kInternal, "the stored server address is unusable");
  ConnectOptions base = options_.connect;
  base.timeout = options_.timeout;
  return AttachmentHttp(*server, std::move(base), std::move(tokens));
}

TransferProgress Messenger::keeping_alive(const TransferProgress& progress) {
  return [this, progress, last = std::chrono::steady_clock::now()](std::uint64_t done,
                                                                   std::uint64_t total) mutable {
    if (const auto now = std::chrono::steady_clock::now(); now - last >= std::chrono::seconds(5)) {
      last = now;
      // What arrives waits among the pushes for the next receive().
      if (ws_ && ws_->is_open()) {
        if (auto frame = ws_->read_json(std::chrono::milliseconds(1));
            frame && !frame->contains("id")) {
          ws_->pushes().push_back(std::move(*frame));
        }
      }
    }
    if (progress) progress(done, total);
  };
}

Result<std::optional<HistoryEntry>> Messenger::own_message(const std::string& peer,
                                                           std::string_view message_id) {
  if (message_id.size() != kMessageIdBytes) {
    return Status(ErrorCode::kBadRequest, "a message id is 16 bytes");
  }
  auto original = store_->message(peer, message_id, now_ms());
  if (original && original->direction == HistoryEntry::Direction::kIn) {
    return Status(ErrorCode::kNotAllowed,
                  "that message is " + peer + "'s: only its sender can change it");
  }
  // One this device does not have (sent from another of our devices, say) is left to the
  // server, which knows what we sent.
  return original;
}

Result<Sent> Messenger::edit(std::string_view to, std::string_view message_id,
                             std::string_view text) {
  const auto peer = canonical(to);
  if (!peer) return peer.status();
  auto original = own_message(*peer, message_id);
  if (!original) return original.status();
  // The edit vanishes with the original: its content carries the time the original has
  // left (rounded up), as a message's content carries its timer.
  std::uint32_t left = 0;
  if (*original && (*original)->expires_at != 0) {
    left = static_cast<std::uint32_t>(
        std::max<std::int64_t>(1, ((*original)->expires_at - now_ms() + 999) / 1000));
  }
  auto sent = send_content(
      *peer, new_content(ContentType::kEdit, Content::edit_body(message_id, text), left),
      {{"edits", b64(message_id)}}, true);
  if (!sent) return sent;
  HistoryEntry edited;
  edited.peer = *peer;
  edited.direction = HistoryEntry::Direction::kOut;
  edited.message_id.assign(message_id);
  edited.timestamp_ms = sent->timestamp_ms;
  edited.peer_device = device_id_;
  edited.text.assign(text);
  edited.state = HistoryEntry::State::kSent;
  edited.expires_at = vanishes_at(sent->expires_at, sent->timestamp_ms, left);
  if (auto applied = apply_edit(*store_, edited, now_ms()); !applied) return applied.status();
  return sent;
}

Result<Sent> Messenger::unsend(std::string_view to, std::string_view message_id) {
  const auto peer = canonical(to);
  if (!peer) return peer.status();
  if (auto original = own_message(*peer, message_id); !original) return original.status();
  auto sent = send_content(*peer, new_content(ContentType::kRetraction, std::string(message_id)),
                           {{"retracts", b64(message_id)}}, true);
  if (!sent) return sent;
  if (Status st = store_->remove_message(*peer, message_id); !st) return st;
  return sent;
}

Status Messenger::set_timer(std::string_view to, std::uint32_t seconds) {
  const auto peer = canonical(to);
  if (!peer) return peer.status();
  auto sent = send_content(*peer, new_content(ContentType::kControl, Content::timer_body(seconds)),
                           json::object(), true);
  if (!sent) return sent.status();
  return store_->set_timer(*peer, seconds);
}

std::uint32_t Messenger::timer(std::string_view to) {
  const auto peer = canonical(to);
  return peer ? store_->timer(*peer) : 0;
}

void Messenger::purge_expired() {
  const std::int64_t now = now_ms();
  if (const auto next = store_->next_expiry(); next && *next <= now) store_->purge_expired(now);
}

Status Messenger::send_typing(std::string_view to, bool started) {
  const auto peer = canonical(to);
  if (!peer) return peer.status();
  auto sent =
      send_content(*peer, new_content(ContentType::kTyping, std::string(1, started ? '\1' : '\0')),
                   {{"ephemeral", true}}, false);
  return sent ? Status::ok() : sent.status();
}

Status Messenger::send_read_receipt(std::string_view peer, const std::vector<std::string>& ids) {
  if (ids.empty()) return Status::ok();
  auto sent = send_content(std::string(peer),
                           new_content(ContentType::kReceipt, receipt_body(kReceiptRead, ids)),
                           json::object(), false);
  return sent ? Status::ok() : sent.status();
}

std::vector<Event> Messenger::receive(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool handled = false;
  purge_expired();
  for (;;) {
    if (!ws_ || !ws_->is_open()) {
      if (!ensure_connected()) {
        const auto until = std::min(deadline, next_attempt_);
        if (until <= std::chrono::steady_clock::now()) break;
        std::this_thread::sleep_until(until);
        continue;
      }
    }
    // Pushes that arrived while we waited for a reply come first. Handling them sends
    // requests, during which newer pushes collect in ws_->pushes() for the next round.
    while (ws_ && !ws_->pushes().empty()) {
      std::vector<json> pending;
      pending.swap(ws_->pushes());
      for (const json& push : pending) handle_push(push);
      handled = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (!ws_ || !ws_->is_open()) continue;  // lost while handling: reconnect above
    // Once something came, only what follows it closely belongs to this round.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto frame = ws_->read_json(handled ? std::min(left, std::chrono::milliseconds(200)) : left);
    if (!frame) {
      if (handled) break;
      continue;
    }
    if (!frame->contains("id")) ws_->pushes().push_back(std::move(*frame));
  }
  purge_expired();
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

void Messenger::handle_push(const json& push) {
  const std::string type = push_type(push);
  if (type == "queue_empty") {
    Event e;
    e.kind = Event::Kind::kQueueEmpty;
    events_.push_back(std::move(e));
  } else if (type == "prekeys_low") {
    const auto remaining = parse_prekeys_low(push);
    if (!remaining) return warn_server(remaining.status());
    upload_keys(false, kOneTimePrekeys > *remaining ? kOneTimePrekeys - *remaining : 0);
  } else if (type == "envelopes") {
    auto envelopes = parse_envelopes_push(push);
    if (!envelopes) return warn_server(envelopes.status());
    json seqs = json::array();
    std::map<std::string, std::vector<std::string>> delivered;  // sender -> message ids
    for (const PushedEnvelope& item : *envelopes) {
      if (item.envelope) {
        handle_envelope(*item.envelope, delivered);
      } else {
        warn_server(item.envelope.status());
      }
      if (item.seq) seqs.push_back(*item.seq);
    }
    // Acknowledged once handled and stored, readable or not: an unreadable envelope would
    // otherwise come back at every login.
    if (!seqs.empty()) call("ack", {{"seqs", std::move(seqs)}});
    // One delivery receipt per sender for the whole push.
    for (const auto& [sender, ids] : delivered) {
      send_content(sender, new_content(ContentType::kReceipt, receipt_body(kReceiptDelivered, ids)),
                   json::object(), false);
    }
  }
}

void Messenger::warn_server(const Status& status) {
  Event e;
  e.kind = Event::Kind::kWarning;
  e.text = status.message();
  events_.push_back(std::move(e));
}

void Messenger::handle_envelope(const Envelope& envelope,
                                std::map<std::string, std::vector<std::string>>& delivered) {
  const auto from = canonical(envelope.from);
  const auto device = envelope.from_device;
  const std::string& message_id = envelope.message_id;
  const std::string& sealed = envelope.ciphertext;
  auto warn = [&](const std::string& what) {
    Event e;
    e.kind = Event::Kind::kWarning;
    e.peer = from ? *from : std::string("?");
    e.device = device;
    e.message_id = message_id;
    e.text = "a message from " + e.peer + " device " + std::to_string(device) +
             " was not shown: " + what;
    events_.push_back(std::move(e));
  };
  if (!from) return warn("malformed envelope");

  std::optional<std::string> plaintext;
  std::optional<Party> peer;
  CryptoError error = CryptoError::kUndecryptable;
  if (auto session = store_->session(*from, device, options_.keys)) {
    auto r = session->decrypt(sealed);
    if (auto* p = std::get_if<std::string>(&r)) {
      plaintext = std::move(*p);
      peer = session->peer();
      store_->put_session(*session);
    } else {
      error = std::get<CryptoError>(r);
    }
  }
  if (!plaintext && Session::is_prekey_message(sealed)) {
    auto accepted = Session::accept(local_device(), sealed, options_.keys);
    if (auto* a = std::get_if<Session::Accepted>(&accepted)) {
      if (a->session.peer().handle_key != *from || a->session.peer().device_id != device) {
        return warn("it claims to come from " + a->session.peer().handle_key);
      }
      if (a->one_time_prekey_id) {
        store_->remove_one_time_prekey(*a->one_time_prekey_id);
        one_time_prekeys_.erase(*a->one_time_prekey_id);
      }
      note_identity(*from, a->session.peer().identity_sign_key);
      store_->put_session(a->session);
      plaintext = std::move(a->plaintext);
      peer = a->session.peer();
    } else {
      error = std::get<CryptoError>(accepted);
    }
  }
  if (!plaintext) return warn(std::string(to_string(error)));
  auto content = open_content(*plaintext, *peer, message_id);
  if (auto* e = std::get_if<CryptoError>(&content)) return warn(std::string(to_string(*e)));
  const Content& c = std::get<Content>(content);

  Event e;
  e.peer = *from;
  e.device = device;
  e.message_id = message_id;
  e.timestamp_ms = envelope.timestamp_ms;
  e.request = envelope.request;
  e.expires_at = vanishes_at(envelope.expires_at, e.timestamp_ms, c.expires_in);
  // It vanished on its way (a clock ahead of the server's, or a slow drain): never shown.
  if (e.expires_at != 0 && e.expires_at <= now_ms()) return;
  // Our own message, sent from another of our devices: the conversation is its recipient's.
  e.from_me = *from == handle_;
  if (e.from_me) {
    const auto to = canonical(c.recipient);
    if (!to) return warn("a copy of our own message without its recipient");
    e.peer = *to;
  }
  const auto author = e.from_me ? HistoryEntry::Direction::kOut : HistoryEntry::Direction::kIn;
  switch (c.type) {
    case ContentType::kText:
    case ContentType::kFile: {
      e.kind = Event::Kind::kMessage;
      if (c.type == ContentType::kFile) {
        e.file = c.file();
      } else {
        e.text = c.body;
      }
      HistoryEntry h;
      h.peer = e.peer;
      h.direction = author;
      h.message_id = message_id;
      h.timestamp_ms = e.timestamp_ms;
      h.peer_device = device;
      h.text = e.text;
      h.file = e.file;
      h.expires_at = e.expires_at;
      h.state = e.from_me ? HistoryEntry::State::kSent : HistoryEntry::State::kReceived;
      if (!e.from_me) {
        if (store_->has_incoming(*from, message_id)) return;  // seen already
        if (e.request) store_->add_request(*from);
      }
      store_->add_history(h);
      if (!e.from_me) delivered[*from].push_back(message_id);
      events_.push_back(std::move(e));
      return;
    }
    case ContentType::kReceipt: {
      if (c.body.empty() || (c.body.size() - 1) % kMessageIdBytes != 0)
        return warn("malformed receipt");
      e.kind = Event::Kind::kReceipt;
      e.receipt = static_cast<std::uint8_t>(c.body[0]) == kReceiptRead
                      ? HistoryEntry::State::kRead
                      : HistoryEntry::State::kDelivered;
      for (std::size_t i = 1; i < c.body.size(); i += kMessageIdBytes) {
        e.receipt_ids.push_back(c.body.substr(i, kMessageIdBytes));
        store_->mark(e.receipt_ids.back(), e.receipt);
      }
      events_.push_back(std::move(e));
      return;
    }
    case ContentType::kTyping:
      e.kind = Event::Kind::kTyping;
      e.started = !c.body.empty() && c.body[0] != '\0';
      events_.push_back(std::move(e));
      return;
    case ContentType::kEdit: {
      HistoryEntry h;
      h.peer = e.peer;
      h.direction = author;
      h.message_id.assign(c.target());
      h.timestamp_ms = e.timestamp_ms;
      h.peer_device = device;
      h.text.assign(c.edit_text());
      h.expires_at = e.expires_at;
      h.state = e.from_me ? HistoryEntry::State::kSent : HistoryEntry::State::kReceived;
      const auto applied = apply_edit(*store_, h, now_ms());
      if (!applied) return warn("not stored: " + applied.status().message());
      if (*applied == Amendment::kNotTheSender) return warn("an edit of someone else's message");
      e.kind = Event::Kind::kEdited;
      e.message_id = h.message_id;
      e.text = h.text;
      events_.push_back(std::move(e));
      return;
    }
    case ContentType::kRetraction: {
      const auto applied = apply_retraction(*store_, e.peer, author, c.target(), now_ms());
      if (!applied) return warn("not applied: " + applied.status().message());
      switch (*applied) {
        case Amendment::kNotTheSender:
          return warn("an unsend of someone else's message");
        case Amendment::kApplied:
          e.kind = Event::Kind::kUnsent;
          e.message_id.assign(c.target());
          events_.push_back(std::move(e));
          return;
        default:
          return;  // a message this device never had, or no longer has: nothing to show
      }
    }
    case ContentType::kControl:
      // Control kinds of later versions are ignored, as the protocol asks.
      if (static_cast<std::uint8_t>(c.body[0]) != kControlTimer) return;
      e.kind = Event::Kind::kTimer;
      e.seconds = c.timer_seconds();
      store_->set_timer(e.peer, e.seconds);
      events_.push_back(std::move(e));
      return;
  }
}

std::vector<HistoryEntry> Messenger::history(std::string_view peer, std::size_t limit) {
  const auto key = canonical(peer);
  if (!key) return {};
  return store_->history(*key, limit, now_ms());
}

Result<bool> Messenger::identity_changed(std::string_view handle) {
  const auto peer = canonical(handle);
  if (!peer) return peer.status();
  auto looked_up = call("user.lookup", {{"handle", *peer}});
  if (!looked_up) return looked_up.status();
  auto identity_key = parse_lookup(*looked_up);
  if (!identity_key) return identity_key.status();
  if (!*identity_key) return Status(ErrorCode::kNotFound, *peer + " does not exist");
  const auto pinned = store_->pinned_identity(*peer);
  const std::string& current = **identity_key;
  note_identity(*peer, current);
  return pinned.has_value() && *pinned != current;
}

Result<std::string> Messenger::safety_number(std::string_view handle) {
  const auto peer = canonical(handle);
  if (!peer) return peer.status();
  if (!store_->pinned_identity(*peer)) {
    if (auto checked = identity_changed(*peer); !checked) return checked.status();
  }
  return client::safety_number(handle_, store_->setting("identity_key").value_or(""), *peer,
                               store_->pinned_identity(*peer).value_or(""));
}

}  // namespace xchat::client
