import Testing
@testable import ZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Polls until one whole message arrives or the deadline passes (no sleeps, no hangs).
private func receive(_ socket: ZMQSocket, within timeout: Duration = .seconds(5)) throws -> ZMQMessage? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        let ready = try ZMQPoller.poll([socket], timeoutMilliseconds: 50)
        if ready[0].contains(.readable), let message = try socket.receive(dontWait: true) {
            return message
        }
    }
    return nil
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct ZMQTests {
    @Test func dealerRouterRoundTripOverTCPWithMultipartEmptyAndLargeFrames() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(!endpoint.hasSuffix(":*") && !endpoint.hasSuffix(":0"))

        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.setOption(ZMQOption.routingID, string: "dealer-1")
        try dealer.connect(endpoint)

        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let request: [[UInt8]] = [bytes("hello"), [], big]
        #expect(try dealer.send(request))

        let received = try #require(try receive(router))
        #expect(received.frames.count == 4)
        #expect(received.frames.first == bytes("dealer-1"))
        #expect(Array(received.frames.dropFirst()) == request)
        #expect(received.peerAddress == "127.0.0.1")
        #expect(received.userID == nil)

        let reply: [[UInt8]] = [received.frames[0], bytes("world"), [], big.reversed()]
        #expect(try router.send(reply))
        let answer = try #require(try receive(dealer))
        #expect(answer.frames == Array(reply.dropFirst()))
    }

    @Test func curveWithZAPAdmitsOnlyTheRegisteredClientAndTagsItsUserID() throws {
        #expect(ZMQ.has("curve"))
        let context = try ZMQContext()
        let zap = try ZAPHandler(context: context)
        let serverKeys = try CurveKeyPair.generate()
        let registered = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()

        let server = try ZMQSocket(context: context, type: .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint()

        let goodClient = try ZMQSocket(context: context, type: .dealer)
        try goodClient.makeCurveClient(serverPublicKey: serverKeys.publicKey, publicKey: registered.publicKey, secretKey: registered.secretKey)
        try goodClient.connect(endpoint)
        #expect(try goodClient.send([bytes("from gate-07")]))

        let badClient = try ZMQSocket(context: context, type: .dealer)
        try badClient.makeCurveClient(serverPublicKey: serverKeys.publicKey, publicKey: stranger.publicKey, secretKey: stranger.secretKey)
        try badClient.connect(endpoint)
        #expect(try badClient.send([bytes("from stranger")]))

        // One owner thread services both the ZAP socket and the server, as Central does.
        var accepted: [String] = []
        var refused: [String] = []
        var mechanisms: Set<String> = []
        var messages: [ZMQMessage] = []
        var deadline = ContinuousClock.now + .seconds(10)
        var settling = false
        while ContinuousClock.now < deadline {
            let ready = try ZMQPoller.poll([zap.socket, server], timeoutMilliseconds: 50)
            if ready[0].contains(.readable) {
                try zap.handleOne { request in
                    mechanisms.insert(request.mechanism)
                    guard let key = request.curvePublicKey else { return .refuse("no CURVE key") }
                    if key == registered.publicKey {
                        accepted.append(key)
                        return .accept(userID: "gate-07")
                    }
                    refused.append(key)
                    return .refuse("unregistered key")
                }
            }
            if ready[1].contains(.readable), let message = try server.receive(dontWait: true) {
                messages.append(message)
            }
            // Once both clients were judged, keep servicing a little longer so a leak would show.
            if !settling && !messages.isEmpty && !refused.isEmpty {
                settling = true
                deadline = ContinuousClock.now + .milliseconds(500)
            }
        }

        #expect(mechanisms == ["CURVE"])
        #expect(accepted == [registered.publicKey])
        #expect(!refused.isEmpty)
        #expect(Set(refused) == [stranger.publicKey])
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.frames.count == 2)
        #expect(message.frames.last == bytes("from gate-07"))
        #expect(message.userID == "gate-07")
        #expect(message.peerAddress == "127.0.0.1")
    }

    @Test func zapHandlerAnswersMalformedRequestsWith500() throws {
        let context = try ZMQContext()
        let zap = try ZAPHandler(context: context)
        let requester = try ZMQSocket(context: context, type: .req)
        try requester.connect(ZAPHandler.endpoint)
        try requester.send([bytes("1.0"), bytes("42"), bytes("garbage")])

        let deadline = ContinuousClock.now + .seconds(5)
        var handled = false
        var decideCalled = false
        while !handled && ContinuousClock.now < deadline {
            _ = try ZMQPoller.poll([zap.socket], timeoutMilliseconds: 50)
            handled = try zap.handleOne { _ in decideCalled = true; return .accept(userID: "x") }
        }
        #expect(handled)
        #expect(!decideCalled)
        let reply = try #require(try receive(requester))
        #expect(reply.frames.count == 6)
        #expect(reply.frames.first == bytes("1.0"))
        #expect(reply.frames.dropFirst().first == bytes("42"))
        #expect(reply.frames.dropFirst(2).first == bytes("500"))
    }

    @Test func zapHandlerRejectsASecondBindOnTheSameContext() throws {
        let context = try ZMQContext()
        let first = try ZAPHandler(context: context)
        let error = #expect(throws: ZMQError.self) { _ = try ZAPHandler(context: context) }
        #expect(error?.code == EADDRINUSE)
        first.close()
    }

    @Test func routerMandatoryThrowsHostUnreachableForUnknownPeer() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.setOption(ZMQOption.routerMandatory, Int32(1))
        #expect(try router.intOption(ZMQOption.type) == 6 /* ZMQ_ROUTER */)
        try router.bind("tcp://127.0.0.1:*")
        let error = #expect(throws: ZMQError.self) {
            try router.send([bytes("nobody"), bytes("payload")], dontWait: true)
        }
        #expect(error?.code == EHOSTUNREACH)
        #expect(error?.isAgain == false)
        #expect(error?.description.contains("zmq_send") == true)
    }

    @Test func receiveDontWaitReturnsNilOnAnEmptySocket() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("inproc://empty")
        #expect(try pull.receive(dontWait: true) == nil)
    }

    @Test func sendDontWaitReturnsFalseWithoutPeerAndAtHighWaterMark() throws {
        let context = try ZMQContext()
        // No peer at all: PUSH has nowhere to queue.
        let lonely = try ZMQSocket(context: context, type: .push)
        try lonely.bind("inproc://nobody-listens")
        #expect(try lonely.send([bytes("lost")], dontWait: true) == false)

        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.setOption(ZMQOption.receiveHighWaterMark, Int32(1))
        try pull.bind("inproc://hwm")
        let push = try ZMQSocket(context: context, type: .push)
        try push.setOption(ZMQOption.sendHighWaterMark, Int32(1))
        // Connecting to an already-bound inproc endpoint attaches the pipe on our side synchronously,
        // so the queue exists (with a finite HWM) before the first send.
        try push.connect("inproc://hwm")

        var accepted = 0
        while accepted < 100, try push.send([bytes("m\(accepted)"), bytes("tail")], dontWait: true) {
            accepted += 1
        }
        #expect(accepted >= 1)
        #expect(accepted < 100)

        // Exactly the accepted messages are queued, each whole: the refused send left nothing behind.
        var received: [[[UInt8]]] = []
        while let message = try pull.receive(dontWait: true) { received.append(message.frames) }
        #expect(received == (0..<accepted).map { [bytes("m\($0)"), bytes("tail")] })
    }

    @Test func curveKeyPairGenerationDerivationAndValidation() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.utf8.count == 40)
        #expect(pair.secretKey.utf8.count == 40)
        #expect(pair.publicKey != pair.secretKey)
        #expect(CurveKeyPair.isValidKey(pair.publicKey))
        #expect(CurveKeyPair.isValidKey(pair.secretKey))
        #expect(try CurveKeyPair.fromSecret(pair.secretKey) == pair)
        #expect(try CurveKeyPair.generate() != pair)

        #expect(!CurveKeyPair.isValidKey(""))
        #expect(!CurveKeyPair.isValidKey(String(pair.publicKey.dropLast())))
        #expect(!CurveKeyPair.isValidKey(pair.publicKey + "0"))
        #expect(!CurveKeyPair.isValidKey(String(pair.publicKey.dropLast()) + "~"))  // not in Z85
        #expect(!CurveKeyPair.isValidKey(String(pair.publicKey.dropLast()) + "é"))
        #expect(!CurveKeyPair.isValidKey(String(repeating: "#", count: 40)))  // overflows 2^32 per group
        let error = #expect(throws: ZMQError.self) { _ = try CurveKeyPair.fromSecret("short") }
        #expect(error?.code == EINVAL)
        #expect(error?.description.contains("short") == false)
    }

    @Test func pollerReportsReadableOnlyForTheSocketWithAMessage() throws {
        let context = try ZMQContext()
        let pullA = try ZMQSocket(context: context, type: .pull)
        let pullB = try ZMQSocket(context: context, type: .pull)
        try pullA.bind("inproc://poll-a")
        try pullB.bind("inproc://poll-b")
        let pushA = try ZMQSocket(context: context, type: .push)
        let pushB = try ZMQSocket(context: context, type: .push)
        try pushA.connect("inproc://poll-a")
        try pushB.connect("inproc://poll-b")

        #expect(try ZMQPoller.poll([pullA, pullB], timeoutMilliseconds: 0) == [[], []])
        #expect(try ZMQPoller.poll([pushA, pushB], events: .writable, timeoutMilliseconds: 0) == [.writable, .writable])

        try pushB.send([bytes("only b")])
        var ready: [PollEvents] = [[], []]
        let deadline = ContinuousClock.now + .seconds(5)
        while ready == [[], []] && ContinuousClock.now < deadline {
            ready = try ZMQPoller.poll([pullA, pullB], timeoutMilliseconds: 100)
        }
        #expect(ready == [[], .readable])
        #expect(try pullB.receive(dontWait: true)?.frames == [bytes("only b")])
        #expect(try ZMQPoller.poll([pullA, pullB], timeoutMilliseconds: 0) == [[], []])
    }

    @Test func pollerAlsoWatchesPlainFileDescriptors() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("inproc://poll-fd")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { _ = Glibc.close(fds[0]); _ = Glibc.close(fds[1]) }
        #expect(try ZMQPoller.poll([pull], fileDescriptors: [fds[0]], timeoutMilliseconds: 0) == [[], []])
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(try ZMQPoller.poll([pull], fileDescriptors: [fds[0]], timeoutMilliseconds: 1000) == [[], .readable])
    }

    @Test func closedSocketsFailCleanlyAndCloseIsIdempotent() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pair)
        #expect(try socket.intOption(ZMQOption.linger) == 0)
        socket.close()
        socket.close()
        let error = #expect(throws: ZMQError.self) { try socket.bind("inproc://closed") }
        #expect(error?.code == ENOTSOCK)
        #expect(throws: ZMQError.self) { _ = try ZMQPoller.poll([socket], timeoutMilliseconds: 0) }
    }

    @Test func contextShutdownMakesBlockingReceiveThrowETERM() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("inproc://shutdown")
        context.shutdown()
        let error = #expect(throws: ZMQError.self) { _ = try pull.receive() }
        #expect(error?.isTerminated == true)
    }

    @Test func libraryHasCurveAndReportsVersion4() {
        #expect(ZMQ.has("curve"))
        #expect(!ZMQ.has("no-such-capability"))
        #expect(ZMQ.version.major == 4)
        #expect(ZMQ.version.minor >= 3)
    }
}
