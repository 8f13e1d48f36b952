#include "service/delivery_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "proto/envelope_push.hpp"
#include "service/session_context.hpp"

namespace xchat {

void DeliveryService::start(const std::shared_ptr<net::Peer>& peer) {
  Inbox& inbox = peer->context().inbox;
  inbox = Inbox{};
  inbox.started = true;
  fill(peer);
}

void DeliveryService::offer(const std::shared_ptr<net::Peer>& peer,
                            std::shared_ptr<const store::envelopes::Envelope> envelope) {
  boost::asio::post(peer->executor(), [this, peer, envelope = std::move(envelope)] {
    Inbox& inbox = peer->context().inbox;
    if (!inbox.started || envelope->seq <= inbox.last_sent) return;
    if (envelope->expired(clock_.unix_millis())) return;
    if (inbox.caught_up && window_open(inbox)) {
      stage(inbox, *envelope);
      // Offers already queued on the strand (the rest of the commit) join this push.
      if (!inbox.flush_posted) {
        inbox.flush_posted = true;
        boost::asio::post(peer->executor(), [this, peer] {
          peer->context().inbox.flush_posted = false;
          flush(*peer);
        });
      }
      return;
    }
    // Behind: the envelope is on disk and fill() reads it in its turn.
    inbox.caught_up = false;
    fill(peer);
  });
}

void DeliveryService::acknowledged(const std::shared_ptr<net::Peer>& peer,
                                   const std::vector<std::int64_t>& seqs) {
  Inbox& inbox = peer->context().inbox;
  for (const std::int64_t seq : seqs) {
    auto it = inbox.unacked.find(seq);
    if (it == inbox.unacked.end()) continue;
    inbox.unacked_bytes -= it->second;
    inbox.unacked.erase(it);
  }
  if (inbox.started && !inbox.caught_up) fill(peer);
}

bool DeliveryService::window_open(const Inbox& inbox) const {
  const auto config = settings_.get();
  return inbox.unacked.size() < static_cast<std::size_t>(config->limits.max_unacked_envelopes) &&
         inbox.unacked_bytes <
             static_cast<std::size_t>(config->limits.max_outbound_queue_bytes / 2);
}

void DeliveryService::fill(const std::shared_ptr<net::Peer>& peer) {
  Inbox& inbox = peer->context().inbox;
  const auto& principal = *peer->context().principal;
  const auto max_unacked = settings_.get()->limits.max_unacked_envelopes;
  while (!inbox.caught_up && window_open(inbox)) {
    const auto room = max_unacked - static_cast<std::int64_t>(inbox.unacked.size());
    auto reader = store_.readers().acquire();
    auto page = reader ? store::envelopes::page(**reader, principal.account_id, principal.device_id,
                                                inbox.last_sent, room, clock_.unix_millis())
                       : Result<std::vector<store::envelopes::Envelope>>(reader.status());
    if (!page) {
      // The next acknowledgement or offer tries again; a new login starts over.
      spdlog::error("reading the queue of {} device {}: {}", principal.handle, principal.device_id,
                    page.status().message());
      return;
    }
    // The byte budget may close the window before the page is sent; the rest is read
    // again, after the acknowledgements.
    std::size_t sent = 0;
    while (sent < page->size() && window_open(inbox)) stage(inbox, (*page)[sent++]);
    flush(*peer);
    if (sent < page->size()) return;
    if (static_cast<std::int64_t>(page->size()) < room) {
      inbox.caught_up = true;
      // The first time only: later catch-ups follow a full window, not a login.
      if (!inbox.queue_empty_sent) {
        inbox.queue_empty_sent = true;
        peer->send(std::make_shared<const std::string>(proto::queue_empty_push()));
      }
    }
  }
}

void DeliveryService::stage(Inbox& inbox, const store::envelopes::Envelope& envelope) {
  std::string item = proto::encode_envelope_item(envelope, false);
  inbox.last_sent = envelope.seq;
  inbox.unacked.emplace(envelope.seq, item.size());
  inbox.unacked_bytes += item.size();
  inbox.staged.push_back(std::move(item));
  metrics_.envelopes_sent.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryService::flush(net::Peer& peer) {
  auto& staged = peer.context().inbox.staged;
  for (auto& frame : proto::encode_envelopes_pushes(staged)) {
    peer.send(std::make_shared<const std::string>(std::move(frame)));
  }
  staged.clear();
}

}  // namespace xchat
