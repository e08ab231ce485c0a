import Foundation
import WireProtocol
import ZMQ

/// A stand-in for central on central's key and port, for a test that needs
/// central to misbehave in one precise way: it answers heartbeats (so the
/// gate stays connected and keeps its connection) but never acknowledges the
/// first event batch; every later batch is acknowledged. It records each
/// batch with the instant it arrived and the connection it came on.
final class FakeCentral: @unchecked Sendable {
    struct Batch: Sendable {
        var seqs: [Int64]
        var at: ContinuousClock.Instant
        /// ROUTER's routing id: one per connection.
        var peer: [UInt8]
    }

    private let lock = NSLock()
    private var received: [Batch] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    var batches: [Batch] { lock.withLock { received } }

    init(endpoint: String, secretKey: String) throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.makeCurveServer(secretKey: secretKey)  // no ZAP handler: any key gets in, which is all this needs
        try router.bind(endpoint)
        let box = UncheckedBox((context, router))
        Thread.detachNewThread { [self] in
            let (context, router) = box.value
            serve(router)
            router.close()
            context.shutdown()
            finished.signal()
        }
    }

    func stop() {
        lock.withLock { stopping = true }
        finished.wait()
    }

    private func serve(_ router: ZMQSocket) {
        var withheld = false
        while !lock.withLock({ stopping }) {
            guard (try? ZMQPoller.poll([router], timeoutMilliseconds: 50)) != nil,
                let message = try? router.receive(dontWait: true), message.frames.count == 2,
                let decoded = try? WireCodec.decodeGateMessage(message.frames[1])
            else { continue }
            let peer = message.frames[0]
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            switch decoded {
            case .heartbeat:
                reply(router, peer, .heartbeatAck(headSeq: 0, serverTimeMilliseconds: now))
            case .events(let events, _):
                let seqs = events.map(\.seq)
                lock.withLock { received.append(Batch(seqs: seqs, at: .now, peer: peer)) }
                if withheld {
                    reply(router, peer, .ack(seqs: seqs))
                } else {
                    withheld = true  // the first batch's ack is "lost"
                }
            case .sync(let from):
                reply(router, peer, .changes(.init(permits: [], headSeq: from)))
            default:
                break  // hello needs no answer: a heartbeat_ack already shows central alive
            }
        }
    }

    private func reply(_ router: ZMQSocket, _ peer: [UInt8], _ message: CentralMessage) {
        _ = try? router.send([peer, WireCodec.encode(message)], dontWait: true)
    }
}

/// Hands values made on one thread to the thread that alone uses them.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
