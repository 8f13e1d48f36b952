#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/<name>.

    python3 tests/fuzz/make_corpus.py        (Debian 12: python3-cryptography)

The seeds are meaningful inputs, one feature each, so that libFuzzer starts from every
request type, header and config section instead of having to find them. Signatures are
real: the keys come from the fixed seeds of docs/protocol.md §11 (@Alice 0x11/0x22,
@Bob 0x33/0x44), which tests/fuzz/fuzz_server.cpp registers, so signed requests verify.
Re-running rewrites the same files (Ed25519 is deterministic); the output is committed.
"""
import base64, json, pathlib, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def public(k: Ed25519PrivateKey) -> bytes:
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def labelled(label: bytes, *fields: bytes) -> bytes:
    return label + b"\x00" + b"".join(field(f) for f in fields)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


ALICE_ID, BOB_ID, CAROL_ID, CAROL_DEV, NEW_DEV = key(0x11), key(0x33), key(0x55), key(0x66), key(0x77)


def device_object(identity, handle_key: str, device_id: int, device_key) -> dict:
    message = labelled(b"xchat-device-v1", handle_key.encode(), u32(device_id), public(device_key))
    return {"id": device_id, "key": b64(public(device_key)), "signature": b64(identity.sign(message))}


def frame(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def write(target: str, name: str, data) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def dispatch(name: str, logged_in: bool, *frames) -> None:
    # First byte: odd = the session is logged in as @Alice device 1 (tests/fuzz/targets.hpp).
    write("request_dispatch", name,
          ("1" if logged_in else "0") + "\n".join(f if isinstance(f, str) else frame(f) for f in frames))


def request_dispatch() -> None:
    dispatch("ping", False, {"type": "ping", "id": 7})
    dispatch("challenge", False, {"type": "auth.challenge", "id": "c1"})
    dispatch("login_unknown_nonce", False, {"type": "auth.login", "id": 3, "handle": "@Alice", "device_id": 1,
              "nonce": b64(bytes(32)), "signature": b64(bytes(64))})
    dispatch("register_taken", False, {"type": "register", "id": 1, "handle": "@Alice",
              "identity_key": b64(public(ALICE_ID)), "device": device_object(ALICE_ID, "@alice", 1, key(0x22))})
    dispatch("register_new", False, {"type": "register", "id": 1, "handle": "@Carol", "invite": None,
              "identity_key": b64(public(CAROL_ID)), "device": device_object(CAROL_ID, "@carol", 1, CAROL_DEV)})
    dispatch("register_bad_signature", False, {"type": "register", "id": 1, "handle": "@Dave",
              "identity_key": b64(public(CAROL_ID)), "device": device_object(CAROL_ID, "@carol", 1, CAROL_DEV)})
    dispatch("not_json", False, "not json", "{\"id\":12}", "{\"type\":\"nope\",\"id\":11}", "[]", "{\"type\":5,\"id\":-1}")
    dispatch("deep_nesting", False, "{\"type\":\"ping\",\"id\":1,\"x\":" + "[" * 20 + "]" * 20 + "}")
    dispatch("long_id", False, frame({"type": "ping", "id": "x" * 70}), frame({"type": "ping", "id": 1.5}))
    dispatch("anonymous_needs_login", False, {"type": "account.info", "id": 9}, {"type": "send", "id": 10})
    dispatch("account", True, {"type": "account.info", "id": 4}, {"type": "device.list", "id": 5},
             {"type": "ping", "id": 6}, {"type": "auth.challenge", "id": 10})
    dispatch("device_add_remove", True,
             {"type": "device.add", "id": 1, "device": device_object(ALICE_ID, "@alice", 2, NEW_DEV)},
             {"type": "device.list", "id": 2}, {"type": "device.remove", "id": 3, "device_id": 2})
    dispatch("device_remove_last", True, {"type": "device.remove", "id": 3, "device_id": 1})
    dispatch("lookup", True, {"type": "user.lookup", "id": 1, "handle": "@bob"},
             {"type": "user.lookup", "id": 2, "handle": "@nobody"}, {"type": "user.lookup", "id": 3, "handle": "bob"})
    dh = bytes(range(32))
    spk = bytes(range(32, 64))
    spk_sig = ALICE_ID.sign(labelled(b"xchat-signed-prekey-v1", b"@alice", u32(1), dh, u32(7), spk))
    dispatch("keys_upload", True, {"type": "keys.upload", "id": 1, "identity_dh_key": b64(dh),
              "signed_prekey": {"id": 7, "key": b64(spk), "signature": b64(spk_sig)},
              "one_time_prekeys": [{"id": i, "key": b64(bytes([i]) * 32)} for i in range(1, 4)]})
    dispatch("keys_upload_bad", True, {"type": "keys.upload", "id": 1, "identity_dh_key": b64(dh)},
             {"type": "keys.upload", "id": 2, "one_time_prekeys": [{"id": 0, "key": "AA=="}]})
    dispatch("keys_fetch", True, {"type": "keys.fetch", "id": 1, "handle": "@Alice"},
             {"type": "keys.fetch", "id": 2, "handle": "@BOB"}, {"type": "keys.fetch", "id": 3, "handle": "@zed"})
    send = {"type": "send", "id": 7, "to": "@Bob", "message_id": "5dz+mjCUUeXezKuCAOEZGQ==",
            "envelopes": [{"device_id": 1, "ciphertext": "SGVsbG8sIEJvYiE="}], "sync": []}
    dispatch("send", True, send)
    dispatch("send_vanishing_retract_edit", True,
             {**send, "message_id": "r6cJb2zR0p7jN3z1yW9QeA==", "expires_in": 30},
             {**send, "id": 8, "message_id": "0k1PpbzWm2d7bJq3XkQ3ZQ==", "retracts": "r6cJb2zR0p7jN3z1yW9QeA=="},
             {**send, "id": 9, "message_id": "AAECAwQFBgcICQoLDA0ODw==", "edits": "5dz+mjCUUeXezKuCAOEZGQ=="})
    # Each its own message id: a send that reuses one is a retry, answered from the first.
    dispatch("send_ephemeral", True, {**send, "message_id": b64(b"ephemeral-000000"), "ephemeral": True})
    dispatch("send_null_sync", True, {**send, "message_id": b64(b"null-sync-000000"), "sync": None})
    dispatch("send_stale_devices", True, {**send, "message_id": b64(b"stale-devices-00"),
              "envelopes": [{"device_id": 2, "ciphertext": "AA=="}],
              "sync": [{"device_id": 1, "ciphertext": "AA=="}]})
    dispatch("send_self", True, {**send, "message_id": b64(b"to-self-00000000"), "to": "@alice"})
    dispatch("ack", True, {"type": "ack", "id": 4, "seqs": [1, 2, 3]}, {"type": "ack", "id": 5, "seqs": []})
    dispatch("contacts", True, {"type": "contacts.add", "id": 40, "handle": "@bob"},
             {"type": "contacts.list", "id": 44}, {"type": "contacts.remove", "id": 46, "handle": "@bob"})
    dispatch("blocks", True, {"type": "blocks.add", "id": 53, "handle": "@bob"},
             {"type": "blocks.list", "id": 54}, {"type": "blocks.remove", "id": 56, "handle": "@bob"})
    dispatch("privacy", True, {"type": "privacy.set", "id": 51, "who_can_message": "contacts"},
             {"type": "privacy.set", "id": 52, "who_can_message": "everyone"},
             {"type": "privacy.set", "id": 53, "retention_days": 3})
    dispatch("attachment_tokens", True, {"type": "attachment.upload_token", "id": 60},
             {"type": "attachment.download_token", "id": 61, "attachment": "0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f"},
             {"type": "attachment.download_token", "id": 62, "attachment": "XYZ"})
    dispatch("send_attachments", True, {**send, "message_id": b64(b"attachments-0000"),
              "attachments": ["0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f"]})
    dispatch("logged_in_register", True, {"type": "register", "id": 1}, {"type": "auth.login", "id": 2})


def http(name: str, text: str) -> None:
    write("attachment_http", name, text.replace("\n", "\r\n"))


def attachment_http() -> None:
    up = "Authorization: Bearer $UPLOAD_TOKEN\n"
    down = "Authorization: Bearer $DOWNLOAD_TOKEN\n"
    http("create", "POST /v1/attachments HTTP/1.1\nHost: x\n" + up + "Upload-Length: 100\n\n")
    http("create_too_large", "POST /v1/attachments HTTP/1.1\nHost: x\n" + up + "Upload-Length: 99999999999\n\n")
    http("create_no_token", "POST /v1/attachments HTTP/1.1\nHost: x\nUpload-Length: 5\n\n")
    http("create_bad_token", "POST /v1/attachments HTTP/1.1\nHost: x\nAuthorization: Bearer AQEAAAA\nUpload-Length: 5\n\n")
    http("create_with_body", "POST /v1/attachments HTTP/1.1\nHost: x\n" + up + "Upload-Length: 5\nContent-Length: 3\n\nabc")
    http("patch", "PATCH /v1/attachments/0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f HTTP/1.1\nHost: x\n" + up +
         "Upload-Offset: 0\nContent-Length: 4\n\nabcd")
    http("patch_chunked", "PATCH /v1/attachments/0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f HTTP/1.1\nHost: x\n" + up +
         "Upload-Offset: 0\nTransfer-Encoding: chunked\n\n4\nabcd\n3;ext=1\nefg\n0\nTrailer: x\n\n")
    http("patch_complete", "PATCH /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + up +
         "Upload-Offset: 64\nContent-Length: 1\n\nz")
    http("upload_state", "GET /v1/attachments/$ATTACHMENT/upload HTTP/1.1\nHost: x\n" + up + "\n")
    http("finish", "POST /v1/attachments/$ATTACHMENT/finish HTTP/1.1\nHost: x\n" + up + "\n")
    http("delete_unknown", "DELETE /v1/attachments/0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f HTTP/1.1\nHost: x\n" + up + "\n")
    http("download", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "\n")
    http("download_range", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "Range: bytes=10-19\n\n")
    http("download_suffix", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "Range: bytes=-5\n\n")
    http("download_open_range", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "Range: bytes=60-\n\n")
    http("download_bad_range", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "Range: bytes=100-200\n\n")
    http("download_multi_range", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "Range: bytes=0-1,5-9\n\n")
    http("head", "HEAD /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + down + "Range: bytes=0-0\n\n")
    http("download_with_upload_token", "GET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n" + up + "\n")
    http("bad_id", "GET /v1/attachments/NOT-HEX HTTP/1.1\nHost: x\n" + down + "\n")
    http("method_not_allowed", "PUT /v1/attachments HTTP/1.1\nHost: x\n" + up + "Content-Length: 0\n\n")
    http("keep_alive_pipeline", "GET /healthz HTTP/1.1\nHost: x\n\nGET /v1/attachments/$ATTACHMENT HTTP/1.1\nHost: x\n"
         + down + "Range: bytes=0-3\n\nGET /metrics HTTP/1.1\nHost: x\nConnection: close\n\n")
    http("not_found", "GET /nowhere HTTP/1.1\nHost: x\n\n")
    http("ws_upgrade_wrong_path", "GET /v2/ws HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n")
    http("ws_upgrade", "GET /v1/ws HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n")
    http("ws_upgrade_origin", "GET /v1/ws HTTP/1.1\nHost: x\nOrigin: https://evil.example\nUpgrade: websocket\n"
         "Connection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n")
    http("forwarded", "GET /healthz HTTP/1.1\nHost: x\nX-Forwarded-For: 10.0.0.1, ::1\n\n")
    http("http10", "GET /healthz HTTP/1.0\n\n")
    http("garbage", "\x00\x01GET / HTTP/9.9\n\n")


def config_parser() -> None:
    sample = (pathlib.Path(__file__).resolve().parents[2] / "config" / "xchatd.toml").read_text()
    write("config_parser", "sample", sample)
    seeds = {
        "empty": "",
        "listen": '[listen]\naddress = "::1"\nport = 0\n',
        "server": '[server]\nname = "chat.example"\nthreads = 4\ndata_dir = "/var/lib/xchatd"\n',
        "tls": '[tls]\ncert = "/etc/xchatd/cert.pem"\nkey = "/etc/xchatd/key.pem"\n',
        "tls_half": '[tls]\ncert = "/etc/xchatd/cert.pem"\n',
        "http": '[http]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]\nallowed_origins = ["*"]\n',
        "limits": "[limits]\nmax_frame_bytes = 65536\nping_interval_seconds = 10\nidle_timeout_seconds = 30\n",
        "limits_conflict": "[limits]\nping_interval_seconds = 60\nidle_timeout_seconds = 30\n",
        "messages": "[messages]\nmin_expires_in_seconds = 10\nmax_expires_in_seconds = 5\n",
        "attachments": "[attachments]\nmax_file_bytes = 1048576\nquota_bytes_per_account = 0\n",
        "storage": '[storage]\nsynchronous = "NORMAL"\nbatch_window_us = 500\n',
        "storage_bad": '[storage]\nsynchronous = "OFF"\n',
        "access": '[access]\nregistration = "invite"\nrequire_subscription = true\n',
        "log": '[log]\nlevel = "debug"\n',
        "unknown_section": "[nope]\nx = 1\n",
        "unknown_key": "[limits]\nnope = 1\n",
        "wrong_type": '[listen]\nport = "80"\n',
        "out_of_range": "[listen]\nport = 70000\n",
        "float": "[limits]\nmax_frame_bytes = 1.5e3\n",
        "inline_tables": "listen = { address = \"0.0.0.0\", port = 1 }\n",
        "not_table": "listen = 5\n",
        "dotted": "server.name = \"x\"\n[limits.deeper]\na = 1\n",
        "array_of_tables": "[[server]]\nname = \"x\"\n",
        "syntax_error": "[listen\nport = \n",
        "unicode": '[server]\nname = "\\u00e9t\\u00e9 \U0001F600"\n',
        "multiline": "[server]\nname = '''\nmulti\n'''\n",
        "dates": "[server]\nname = 1979-05-27T07:32:00Z\n",
        "huge_int": "[limits]\nmax_connections = 99999999999999999999\n",
        "negative": "[limits]\nmax_connections = -1\n",
    }
    for name, text in seeds.items():
        write("config_parser", name, text)


def server_data() -> None:
    sd = lambda name, obj: write("server_data", name, obj if isinstance(obj, str) else frame(obj))
    sd("reply_ok", {"id": 7, "result": {"time": 1795574213}})
    sd("reply_error", {"id": "x1", "error": {"code": "unknown_type", "message": "unknown request type 'pong'"}})
    sd("reply_unknown_code", {"id": 1, "error": {"code": "brand_new", "message": 5}})
    sd("reply_stale", {"id": 7, "error": {"code": "stale_devices", "message": "m", "devices": [1, 2],
                                          "sync_devices": [3]}})
    sd("reply_neither", {"id": 1})
    sd("challenge", {"id": 2, "result": {"nonce": "Fd5SNW+LAiv90D7f8ZtJHxLAzL9hPX9uBo7AP2TcT8g=",
                                         "server": "localhost", "expires_in": 60}})
    envelope = {"seq": 1, "from": "@Alice", "from_device": 1, "message_id": "GIyyl166QXFKm6OSQUMdCw==",
                "timestamp": 1795587358770, "ciphertext": "SGVsbG8sIEJvYiE=", "request": True}
    sd("envelopes", {"type": "envelopes", "envelopes": [envelope, {**envelope, "seq": 4, "from": "@Carol",
                                                                   "request": None}]})
    sd("envelopes_vanishing", {"type": "envelopes", "envelopes": [{**envelope, "expires_at": 1795587388770,
                                                                    "edits": "GIyyl166QXFKm6OSQUMdCw=="}]})
    sd("envelopes_ephemeral", {"type": "envelopes", "envelopes": [{k: v for k, v in envelope.items() if k != "seq"}
                                                                   | {"ephemeral": True}]})
    sd("envelopes_malformed", {"type": "envelopes", "envelopes": [{"seq": 2, "from": 5}, 7, {**envelope,
                                                                   "timestamp": 9223372036854775807}]})
    sd("envelopes_not_array", {"type": "envelopes", "envelopes": {"seq": 1}})
    sd("queue_empty", {"type": "queue_empty"})
    sd("prekeys_low", {"type": "prekeys_low", "remaining": 3})
    sd("prekeys_low_negative", {"type": "prekeys_low", "remaining": -3})
    bundle = {"device_id": 1, "identity_dh_key": b64(bytes(range(32))),
              "signed_prekey": {"id": 1, "key": b64(bytes(32)), "signature": b64(bytes(64))},
              "one_time_prekey": {"id": 17, "key": b64(bytes([1]) * 32)}}
    sd("keys_fetch", {"id": 3, "result": {"handle": "@Alice", "identity_key": b64(public(ALICE_ID)),
                                          "devices": [bundle, {k: v for k, v in bundle.items()
                                                               if k != "one_time_prekey"} | {"device_id": 2}]}})
    sd("keys_fetch_malformed", {"id": 3, "result": {"identity_key": b64(public(ALICE_ID)),
                                                    "devices": [{"device_id": "1"}, {"device_id": 3,
                                                                "signed_prekey": []}, 4]}})
    sd("keys_fetch_no_devices", {"id": 3, "result": {"identity_key": b64(public(ALICE_ID))}})
    sd("send_result", {"id": 7, "result": {"message_id": "GIyyl166QXFKm6OSQUMdCw==", "timestamp": 1795587358770,
                                           "expires_at": 1795587430000, "envelopes": [{"device_id": 1, "seq": 17}]}})
    sd("lookup", {"id": 1, "result": {"exists": True, "handle": "@Bob", "identity_key": b64(public(BOB_ID))}})
    sd("lookup_absent", {"id": 1, "result": {"exists": False}})
    sd("token", {"id": 60, "result": {"token": "AQEAAAAAAAAAAQAAAAEAAAGTt3", "expires_at": 1795587958770,
                                      "size": 64}})
    sd("not_object", "[1,2,3]")
    sd("scalar", "\"envelopes\"")


if __name__ == "__main__":
    request_dispatch()
    attachment_http()
    config_parser()
    server_data()
