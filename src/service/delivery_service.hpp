#pragma once

#include <memory>
#include <vector>

#include "app/settings.hpp"
#include "metrics/metrics.hpp"
#include "net/peer.hpp"
#include "service/clock.hpp"
#include "store/envelopes.hpp"
#include "store/store.hpp"

namespace xchat {

struct Inbox;

// Sends each logged-in device its envelopes in seq order, with flow control: at most
// limits.max_unacked_envelopes (and half of limits.max_outbound_queue_bytes) sent and not
// yet acknowledged. After login it reads the stored queue page by page as acknowledgements
// free the window, then says queue_empty; from then on ("caught up") envelopes accepted
// for the device are sent straight from memory, without reading them back. When the
// window is full an offered envelope is skipped — it is on disk — and the session goes
// back to reading the queue. Seqs only grow, so "seq > last sent" is all it takes never to
// send one twice or out of order on a connection. Envelopes are staged and written as
// "envelopes" pushes of up to proto::kMaxEnvelopeBatchBytes: a page read from the queue
// goes out at once, and envelopes offered together (one commit's, say) share a push.
// A vanishing envelope is never sent at or after its expires_at, whether it comes from
// memory or from a page read just before the expiry scheduler deleted it.
// Everything runs on the session's strand.
class DeliveryService {
 public:
  DeliveryService(const Settings& settings, store::Store& store, const Clock& clock,
                  Metrics& metrics)
      : settings_(settings), store_(store), clock_(clock), metrics_(metrics) {}

  // After a successful login (and its reply): starts sending the device's queue.
  void start(const std::shared_ptr<net::Peer>& peer);

  // A newly committed envelope for the device `peer` speaks for. Thread-safe: the store
  // writer calls it in commit order, and it posts to the session's strand, which keeps
  // that order.
  void offer(const std::shared_ptr<net::Peer>& peer,
             std::shared_ptr<const store::envelopes::Envelope> envelope);

  // The device acknowledged these seqs: they leave the window (the caller deletes them
  // from the store). REQUIRES: on the session's strand.
  void acknowledged(const std::shared_ptr<net::Peer>& peer, const std::vector<std::int64_t>& seqs);

 private:
  bool window_open(const Inbox& inbox) const;
  // Reads and sends stored envelopes while the window is open and the queue is not
  // exhausted.
  void fill(const std::shared_ptr<net::Peer>& peer);
  // Counts the envelope as sent and stages it for the next push.
  void stage(Inbox& inbox, const store::envelopes::Envelope& envelope);
  // Writes what is staged.
  void flush(net::Peer& peer);

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
};

}  // namespace xchat
