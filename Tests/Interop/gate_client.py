#!/usr/bin/env python3
"""Independent Bollard gate written only from docs/protocol.md (protocol v1).

Connects to central over CURVE as a gate, and checks the contract:
hello/welcome, permit sync (changes and snapshot pages), event upload with
acks and duplicate acks, heartbeat/heartbeat_ack, and the error codes for bad
messages. Revision 4: it announces an Ed25519 signing key in hello, seals every
event (§3.6) and sends one evidence image in chunks (§5.5). Prints one line per check ("ok: ..." / "FAIL: ...") and exits 0
only if every check passed.

    gate_client.py --endpoint tcp://127.0.0.1:7700 \
        --central-key central.pub --gate-key gate.key [--events 300]

Needs pyzmq with CURVE (Debian: python3-zmq) and, for the seal, the
`cryptography` package (Debian: python3-cryptography). Every wait is bounded by poll,
so the client never hangs.
"""

import argparse
import json
import os
import re
import sys
import time

import zmq

try:  # revision 4: events are sealed with Ed25519 (Debian: python3-cryptography)
    import base64
    import hashlib
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - the test command installs it
    Ed25519PrivateKey = None

PROTOCOL_VERSION = 1
MAX_BATCH = 256          # §4.1 / §5.3: 1 … 256 events per message
MAX_CHANGES = 2000       # §4.2: at most 2,000 permits per changes / page
ACK_TIMEOUT_S = 5.0      # §5.3.5: resend after 5 s without ack
REQUEST_TIMEOUT_S = 10.0  # §5.2.6: a request not answered in 10 s is abandoned
SOFTWARE = "bollard-py-interop/0.1"

PROFILES = {"resident", "shopkeeper", "hotel_guest", "delivery", "taxi",
            "emergency", "public_service", "disability_badge", "temporary"}
STATUSES = {"active", "suspended", "revoked"}
DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
PLATE_RE = re.compile(r"^[A-Z0-9]{2,10}$")
HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now_ms():
    return int(time.time() * 1000)


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def read_key_file(path, field):
    """Key files hold lines `public-key = "<z85>"` / `secret-key = "<z85>"`."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^\s*%s\s*=\s*"(.{40})"\s*$' % re.escape(field), line)
            if m:
                return m.group(1).encode("ascii")
    raise ValueError("%s: no %s line" % (path, field))


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("ok: " + what + (" (" + detail + ")" if detail else ""), flush=True)
        else:
            self.failed += 1
            print("FAIL: " + what + (" (" + detail + ")" if detail else ""), flush=True)
        return cond

    def note(self, text):
        print("note: " + text, flush=True)


class Gate:
    """One DEALER connection to central plus the gate's in-memory state."""

    def __init__(self, endpoint, server_key, public_key, secret_key, report):
        self.report = report
        self.ctx = zmq.Context.instance()
        s = self.ctx.socket(zmq.DEALER)
        s.curve_serverkey = server_key
        s.curve_publickey = public_key
        s.curve_secretkey = secret_key
        # §1 gate socket options
        s.setsockopt(zmq.IMMEDIATE, 1)
        s.setsockopt(zmq.RECONNECT_IVL, 100)
        s.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
        s.setsockopt(zmq.HEARTBEAT_IVL, 1000)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint)
        self.sock = s
        self.poller = zmq.Poller()
        self.poller.register(s, zmq.POLLIN)
        # permit state (§5.2)
        self.permits = {}     # id -> permit
        self.held = 0
        self.head_seq = None
        self.gaps_in_push = 0
        self.pushes = 0
        self.unexpected = []  # (type, msg) not consumed by a waiter

    # ---- raw I/O -------------------------------------------------------
    def send_raw(self, frames, timeout_s=5.0):
        """Send frames (list of bytes). With ZMQ_IMMEDIATE the send only goes
        through once the CURVE handshake (and ZAP) succeeded."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.sock.send_multipart(frames, flags=zmq.NOBLOCK)
                return True
            except zmq.Again:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.02)

    def send(self, msg, timeout_s=5.0):
        return self.send_raw([json.dumps(msg, separators=(",", ":")).encode("utf-8")],
                             timeout_s)

    def recv_one(self, timeout_s):
        """One decoded message or None on timeout. Multi-frame or undecodable
        messages from central are reported and skipped."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            events = dict(self.poller.poll(int(left * 1000) + 1))
            if self.sock not in events:
                continue
            frames = self.sock.recv_multipart(flags=zmq.NOBLOCK)
            if len(frames) != 1:
                self.report.check(False, "central sends one frame per message",
                                  "got %d frames" % len(frames))
                continue
            try:
                msg = json.loads(frames[0].decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                self.report.check(False, "central sends UTF-8 JSON", str(e))
                continue
            if not isinstance(msg, dict):
                self.report.check(False, "central sends a JSON object", repr(msg)[:80])
                continue
            if msg.get("v") != PROTOCOL_VERSION:
                # §5.1.3: a gate ignores (and logs) a message whose v it does not speak
                self.report.note("ignored message with v=%r: %s" % (msg.get("v"), frames[0][:120]))
                continue
            return msg

    def wait_for(self, types, timeout_s):
        """Wait for a message whose type is in `types`. Pushed `changes` that
        arrive meanwhile are applied (unless `changes` is itself awaited);
        anything else is remembered as unexpected."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            msg = self.recv_one(left)
            if msg is None:
                return None
            t = msg.get("type")
            if t in types:
                return msg
            if t == "changes":
                self.pushes += 1
                if not self.apply_changes(msg, pushed=True):
                    self.gaps_in_push += 1
                continue
            self.unexpected.append(msg)

    # ---- permits (§3.2, §5.2) -----------------------------------------
    def permit_problems(self, p):
        probs = []
        if not isinstance(p, dict):
            return ["not an object"]
        if not isinstance(p.get("id"), str) or not p["id"]:
            probs.append("id")
        if not isinstance(p.get("plate"), str) or not PLATE_RE.match(p["plate"]):
            probs.append("plate %r not normalised" % (p.get("plate"),))
        if p.get("profile") not in PROFILES:
            probs.append("profile %r" % (p.get("profile"),))
        z = p.get("zones")
        if not isinstance(z, list) or not all(isinstance(x, str) for x in z):
            probs.append("zones")
        if not is_int(p.get("valid_from_ms")):
            probs.append("valid_from_ms")
        if p.get("valid_until_ms") is not None and not is_int(p.get("valid_until_ms")):
            probs.append("valid_until_ms")
        w = p.get("windows")
        if not isinstance(w, list):
            probs.append("windows")
        else:
            for win in w:
                if (not isinstance(win, dict) or not isinstance(win.get("days"), list)
                        or not all(d in DAYS for d in win["days"])
                        or not isinstance(win.get("from"), str) or not HHMM_RE.match(win["from"])
                        or not isinstance(win.get("to"), str) or not HHMM_RE.match(win["to"])
                        or not isinstance(win.get("holidays"), bool)):
                    probs.append("window %r" % (win,))
        if p.get("max_stay_s") is not None and not is_int(p.get("max_stay_s")):
            probs.append("max_stay_s")
        if p.get("status") not in STATUSES:
            probs.append("status %r" % (p.get("status"),))
        if p.get("holder") is not None and not isinstance(p.get("holder"), str):
            probs.append("holder")
        if not is_int(p.get("seq")) or p["seq"] < 1:
            probs.append("seq")
        return probs

    def apply_changes(self, msg, pushed):
        """§5.2.3. Returns False on a gap (message discarded)."""
        permits = msg.get("permits")
        if not isinstance(permits, list) or not is_int(msg.get("head_seq")):
            self.report.check(False, "changes has permits[] and head_seq", str(msg)[:200])
            return False
        self.head_seq = msg["head_seq"]
        seqs = [p.get("seq") if isinstance(p, dict) else None for p in permits]
        if seqs and (not all(is_int(q) for q in seqs)
                     or seqs != list(range(seqs[0], seqs[0] + len(seqs)))):
            # §4.2: changes carry consecutive seq ascending, whatever held is
            self.report.check(False, "changes message has consecutive ascending seqs",
                              "seqs %s" % seqs[:10])
            return False
        if len(permits) > MAX_CHANGES:
            self.report.check(False, "changes holds at most %d permits" % MAX_CHANGES,
                              "got %d" % len(permits))
        fresh = [p for p in permits if is_int(p.get("seq")) and p["seq"] > self.held]
        expect = self.held + 1
        for p in fresh:
            if p["seq"] != expect:
                return False
            expect += 1
        for p in fresh:
            probs = self.permit_problems(p)
            if probs:
                self.report.check(False, "permit %s well-formed" % p.get("id"), "; ".join(probs))
        for p in fresh:
            old = self.permits.get(p["id"])
            if old is None or old.get("seq", 0) < p["seq"]:   # keep the higher seq (§5.2.4)
                self.permits[p["id"]] = p
        if fresh:
            self.held = fresh[-1]["seq"]
        return True

    def sync(self):
        """Catch-up from self.held until held == head_seq. Returns (ok, detail,
        stats)."""
        stats = {"changes_msgs": 0, "changes_permits": 0, "snapshots": 0, "pages": 0,
                 "max_batch": 0}
        rounds = 0
        while True:
            rounds += 1
            if rounds > 10000:
                return False, "too many sync rounds", stats
            if not self.send({"v": 1, "type": "sync", "from_seq": self.held}):
                return False, "could not send sync", stats
            msg = self.wait_for({"changes", "snapshot_required", "error"}, REQUEST_TIMEOUT_S)
            if msg is None:
                return False, "no answer to sync from_seq=%d within %ds" % (
                    self.held, REQUEST_TIMEOUT_S), stats
            t = msg["type"]
            if t == "error":
                return False, "sync answered with error %s" % msg, stats
            if t == "snapshot_required":
                if not is_int(msg.get("head_seq")):
                    return False, "snapshot_required without int head_seq: %s" % msg, stats
                stats["snapshots"] += 1
                if stats["snapshots"] > 3:
                    return False, "snapshot_required again and again", stats
                ok, detail = self.snapshot(stats)
                if not ok:
                    return False, detail, stats
                continue
            # changes in answer to our sync: must start at from_seq+1 and be consecutive
            permits = msg.get("permits")
            if not isinstance(permits, list):
                return False, "changes without permits[]: %s" % str(msg)[:200], stats
            stats["changes_msgs"] += 1
            stats["changes_permits"] += len(permits)
            stats["max_batch"] = max(stats["max_batch"], len(permits))
            if len(permits) > MAX_CHANGES:
                return False, "changes holds %d permits (> %d)" % (len(permits), MAX_CHANGES), stats
            seqs = [p.get("seq") for p in permits]
            before = self.held
            if not self.apply_changes(msg, pushed=False):
                # Might be a push that crossed our sync; the real answer follows.
                # A gap in an answer is a central bug, but retry once per spec.
                self.report.note("gap in changes after held=%d: seqs %s…" % (before, seqs[:5]))
                stats.setdefault("gaps", 0)
                stats["gaps"] = stats.get("gaps", 0) + 1
                if stats["gaps"] > 3:
                    return False, "repeated gaps in changes (consecutive-sequence rule)", stats
                continue
            if msg["head_seq"] > self.held:
                if not permits:
                    return False, ("empty changes but head_seq %d > held %d"
                                   % (msg["head_seq"], self.held)), stats
                continue
            if msg["head_seq"] < self.held:
                return False, "head_seq %d < held %d" % (msg["head_seq"], self.held), stats
            return True, "", stats

    def snapshot(self, stats):
        """§5.2.4: page through the whole permit set."""
        staged = {}
        after = None
        first_base = None
        last_id = None
        pages = 0
        while True:
            pages += 1
            if pages > 100000:
                return False, "snapshot never ends"
            if not self.send({"v": 1, "type": "snapshot", "after_id": after}):
                return False, "could not send snapshot"
            msg = self.wait_for({"snapshot_page", "error"}, REQUEST_TIMEOUT_S)
            if msg is None:
                return False, "no snapshot_page within %ds (after_id=%r)" % (REQUEST_TIMEOUT_S, after)
            if msg["type"] == "error":
                return False, "snapshot answered with error %s" % msg
            stats["pages"] += 1
            # §2: "Optional fields MAY be absent or null": central omits a null
            # next_after on the last page, so absent is treated as null.
            base, permits, nxt = msg.get("base_seq"), msg.get("permits"), msg.get("next_after")
            if "next_after" not in msg:
                stats["next_after_absent"] = stats.get("next_after_absent", 0) + 1
            if not is_int(base) or not isinstance(permits, list) or not (nxt is None or isinstance(nxt, str)):
                return False, "malformed snapshot_page: %s" % str(msg)[:200]
            if len(permits) > MAX_CHANGES:
                return False, "snapshot_page holds %d permits (> %d)" % (len(permits), MAX_CHANGES)
            if first_base is None:
                first_base = base
            for p in permits:
                probs = self.permit_problems(p)
                if probs:
                    return False, "snapshot permit %s: %s" % (p.get("id"), "; ".join(probs))
                if last_id is not None and not (p["id"] > last_id):
                    return False, "snapshot not ordered by id: %r after %r" % (p["id"], last_id)
                last_id = p["id"]
                staged[p["id"]] = p
            if nxt is None:
                break
            if not permits:
                return False, "empty page with non-null next_after"
            after = nxt
        # replace set, held = first page's base_seq; a later sync refills.
        self.permits = staged
        self.held = first_base
        self.report.note("snapshot: %d permits in %d pages, base_seq %d"
                         % (len(staged), pages, first_base))
        return True, ""

    def close(self):
        self.sock.close(0)


def make_events(first, count):
    kinds = [
        {"kind": "authorised", "plate": "1234BCD", "confidence": 0.97,
         "permit_id": "P-1", "reason": None, "candidates": None},
        {"kind": "exit", "plate": "1234BCD", "confidence": 0.95,
         "permit_id": "P-1", "reason": None, "candidates": None},
        {"kind": "violation", "plate": "9876XYZ", "confidence": 0.91,
         "permit_id": None, "reason": None, "candidates": None},
        {"kind": "violation", "plate": "1234BCD", "confidence": 0.93,
         "permit_id": "P-1", "reason": "expired", "candidates": None},
        {"kind": "review", "plate": None, "confidence": 0.12,
         "permit_id": None, "reason": "unreadable", "candidates": None},
        {"kind": "review", "plate": "I234BCD", "confidence": 0.88,
         "permit_id": None, "reason": "confusion_match", "candidates": ["P-1"]},
    ]
    base = now_ms() - count * 1000
    out = []
    for i in range(count):
        seq = first + i
        ev = dict(kinds[seq % len(kinds)])
        ev["seq"] = seq
        ev["at_ms"] = base + i * 1000
        if seq % 2 == 0:
            ev["source"] = "camera"  # revision 5 (§3.3); odd events stay without, as a revision-4 gate sends
        out.append(ev)
    return out


GENESIS = "0" * 64
EVIDENCE_CHUNK = 256 * 1024  # §4.1: at most 262144 bytes of data per evidence message


def seal_payload(ev, origin):
    """§3.6: the seal payload, one key=value line per field, in this order."""
    images = sorted(ev.get("images") or [], key=lambda i: i["role"])
    lines = [
        "bollard-event/1",
        "origin=%s" % origin,
        "seq=%d" % ev["seq"],
        "at_ms=%d" % ev["at_ms"],
        "kind=%s" % ev["kind"],
        "plate=%s" % (ev.get("plate") or ""),
        "confidence=%.4f" % ev["confidence"],
        "permit_id=%s" % (ev.get("permit_id") or ""),
        "reason=%s" % (ev.get("reason") or ""),
        "candidates=%s" % ",".join(ev.get("candidates") or []),
        "images=%s" % ",".join("%s:%s:%d" % (i["role"], i["sha256"], i["bytes"]) for i in images),
        "prev=%s" % (ev.get("prev") or GENESIS),
    ]
    if ev.get("source") is not None:  # revision 5: signed only when the event carries one
        lines.append("source=%s" % ev["source"])
    return ("\n".join(lines) + "\n").encode("utf-8")


def seal_events(events, key, origin="", previous=GENESIS):
    """Chains and signs events in order (§3.6); returns the last hash."""
    for ev in events:
        ev["prev"] = previous
        payload = seal_payload(ev, origin)
        ev["sig"] = base64.b64encode(key.sign(payload)).decode("ascii")
        previous = hashlib.sha256(payload).hexdigest()
    return previous


def send_evidence(gate, report, origin, seq, role, image):
    """§5.5: chunks of ≤256 KiB from the offset central answers, until complete."""
    digest = hashlib.sha256(image).hexdigest()
    offset, chunks = 0, 0
    while chunks < 20:
        chunks += 1
        data = image[offset:offset + EVIDENCE_CHUNK]
        gate.send({"v": 1, "type": "evidence", "origin": origin, "seq": seq, "role": role, "sha256": digest,
                   "total_bytes": len(image), "offset": offset, "data": base64.b64encode(data).decode("ascii")})
        msg = gate.wait_for({"evidence_ack", "error"}, 5.0)
        if msg is None or msg["type"] == "error":
            return msg, chunks
        if msg.get("complete") or msg.get("error"):
            return msg, chunks
        offset = msg.get("next_offset", 0)
    return None, chunks


def upload(gate, report, events):
    """§5.3: oldest unacked first, ≤256 per message, one in flight, resend
    after 5 s without ack. Returns the list of batches sent (acked)."""
    pending = list(events)
    batches = []
    resends = 0
    while pending:
        batch = pending[:MAX_BATCH]
        seqs = [e["seq"] for e in batch]
        acked = False
        for attempt in range(3):
            if attempt:
                resends += 1
            if not gate.send({"v": 1, "type": "events", "events": batch}):
                report.check(False, "send events batch %d..%d" % (seqs[0], seqs[-1]), "socket not ready")
                return batches, False
            msg = gate.wait_for({"ack", "error"}, ACK_TIMEOUT_S)
            if msg is None:
                continue
            if msg["type"] == "error":
                report.check(False, "events %d..%d acked" % (seqs[0], seqs[-1]), "error %s" % msg)
                return batches, False
            got = msg.get("seqs")
            if not isinstance(got, list) or sorted(got) != seqs:
                report.check(False, "ack of %d..%d lists exactly its seqs" % (seqs[0], seqs[-1]),
                             "got %s" % str(got)[:200])
                return batches, False
            acked = True
            break
        if not acked:
            report.check(False, "events %d..%d acked" % (seqs[0], seqs[-1]), "no ack after 3 tries")
            return batches, False
        batches.append(batch)
        pending = pending[MAX_BATCH:]
    if resends:
        report.note("%d batch resends after ack timeouts" % resends)
    return batches, True


def health(gate, started):
    st = os.statvfs("/")
    return {
        "permit_seq": gate.held,
        "buffer_depth": 0,
        "buffer_capacity": 4242,
        "oldest_unsent_s": 0.0,
        "dropped_authorised": 7,
        "last_frame_ms": None,
        "recognition_rate": 12.5,
        "disk_free_bytes": st.f_bavail * st.f_frsize,
        "clock_ms": now_ms(),
        "uptime_s": round(time.monotonic() - started, 3),
        "software": SOFTWARE,
    }


def expect_error(gate, report, what, frames_or_msg, code, in_reply_to="ANY"):
    if isinstance(frames_or_msg, list):
        sent = gate.send_raw(frames_or_msg)
    else:
        sent = gate.send(frames_or_msg)
    if not sent:
        return report.check(False, what, "could not send")
    msg = gate.wait_for({"error", "welcome", "ack", "heartbeat_ack", "changes",
                         "snapshot_required", "snapshot_page"}, 3.0)
    if msg is None:
        return report.check(False, what, "no answer within 3 s, expected error %s" % code)
    if msg["type"] != "error":
        return report.check(False, what, "expected error %s, got %s" % (code, str(msg)[:200]))
    detail = "code=%s in_reply_to=%r message=%r" % (msg.get("code"), msg.get("in_reply_to"),
                                                   msg.get("message"))
    ok = (msg.get("code") == code and isinstance(msg.get("message"), str)
          and (msg.get("in_reply_to") is None or isinstance(msg.get("in_reply_to"), str)))
    if ok and in_reply_to != "ANY":
        ok = msg.get("in_reply_to") == in_reply_to
        if not ok:
            detail += " expected in_reply_to=%r" % (in_reply_to,)
    return report.check(ok, what, detail)


def check_expected_permits(gate, report, path):
    """The permits given to central must arrive: exactly those ids, each with
    its plate (normalised, §2) and status active (§3.2), nothing else."""
    try:
        with open(path, encoding="utf-8") as f:
            expected = json.load(f)
    except (OSError, ValueError) as e:
        report.check(False, "read expected permits", str(e))
        return
    held = {pid: p.get("plate") for pid, p in gate.permits.items()}
    missing = sorted(set(expected) - set(held))
    extra = sorted(set(held) - set(expected))
    wrong = sorted(pid for pid in set(expected) & set(held) if held[pid] != expected[pid])
    inactive = sorted(pid for pid, p in gate.permits.items() if p.get("status") != "active")
    report.check(not missing and not extra and not wrong and not inactive,
                 "holds exactly the %d permits central was given, with their plates" % len(expected),
                 "held %d; missing %s; unexpected %s; wrong plate %s; not active %s"
                 % (len(held), missing[:5], extra[:5], wrong[:5], inactive[:5]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--central-key", required=True, help="central.pub")
    ap.add_argument("--gate-key", required=True, help="the gate's .key (public + secret)")
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--gate-id", help="expected gate id (default: gate key file name without .key)")
    ap.add_argument("--zone", help="expected zone (default: any non-empty zone)")
    ap.add_argument("--first-seq", type=int, default=1, help="first event seq (default 1)")
    ap.add_argument("--expect-permits",
                    help="JSON file {permit id: plate}: the permits central was given; after "
                         "sync the gate must hold exactly these, active, with these plates")
    args = ap.parse_args()

    report = Report()
    started = time.monotonic()
    expected_id = args.gate_id or re.sub(r"\.key$", "", os.path.basename(args.gate_key))
    try:
        server_key = read_key_file(args.central_key, "public-key")
        pub = read_key_file(args.gate_key, "public-key")
        sec = read_key_file(args.gate_key, "secret-key")
    except (OSError, ValueError) as e:
        report.check(False, "read key files", str(e))
        return 1
    if not zmq.has("curve"):
        report.check(False, "libzmq has CURVE")
        return 1

    gate = Gate(args.endpoint, server_key, pub, sec, report)
    try:
        return run(gate, report, args, expected_id, started)
    finally:
        gate.close()
        zmq.Context.instance().term()


def run(gate, report, args, expected_id, started):
    # ---- 1. hello / welcome -------------------------------------------
    hello = {"v": 1, "type": "hello", "versions": [1], "software": SOFTWARE,
             "permit_seq": gate.held, "gate_id": expected_id}
    signing = Ed25519PrivateKey.generate() if Ed25519PrivateKey else None
    if signing:
        raw = signing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        hello["signing_key"] = base64.b64encode(raw).decode("ascii")  # §4.1 revision 4
    else:
        report.note("python cryptography missing: events go unsigned")
    if not gate.send(hello, timeout_s=5.0):
        report.check(False, "CURVE connection to central",
                     "not connected within 5 s (wrong central key, or gate key not admitted by ZAP?)")
        return 1
    msg = gate.wait_for({"welcome", "error"}, 5.0)
    if msg is None:
        report.check(False, "hello answered with welcome", "no answer within 5 s")
        return 1
    if msg["type"] == "error":
        report.check(False, "hello answered with welcome", "error %s" % msg)
        return 1
    g = msg.get("gate") or {}
    ok = (msg.get("version") == 1 and isinstance(g, dict) and is_int(msg.get("head_seq"))
          and isinstance(msg.get("holidays"), list)
          and all(isinstance(d, str) and DATE_RE.match(d) for d in msg["holidays"])
          and is_int(msg.get("server_time_ms"))
          and g.get("direction") in ("entry", "exit"))
    report.check(ok, "CURVE connect + hello -> welcome",
                 "version=%r head_seq=%r holidays=%d server_time_ms=%r direction=%r"
                 % (msg.get("version"), msg.get("head_seq"), len(msg.get("holidays") or []),
                    msg.get("server_time_ms"), g.get("direction")))
    report.check(g.get("id") == expected_id, "welcome.gate.id is the registered gate",
                 "got %r, expected %r" % (g.get("id"), expected_id))
    if args.zone:
        report.check(g.get("zone") == args.zone, "welcome.gate.zone",
                     "got %r, expected %r" % (g.get("zone"), args.zone))
    else:
        report.check(isinstance(g.get("zone"), str) and bool(g.get("zone")), "welcome.gate.zone",
                     "got %r" % (g.get("zone"),))
    if is_int(msg.get("server_time_ms")) and abs(msg["server_time_ms"] - now_ms()) > 2000:
        report.note("clock differs from central by %d ms (> 2 s)" % (msg["server_time_ms"] - now_ms()))
    welcome_head = msg.get("head_seq") if is_int(msg.get("head_seq")) else 0

    # version negotiation: a gate speaking 1 and 7 gets 1
    gate.send({"v": 1, "type": "hello", "versions": [1, 7], "software": SOFTWARE,
               "permit_seq": 0, "gate_id": expected_id})
    msg = gate.wait_for({"welcome", "error"}, 5.0)
    report.check(msg is not None and msg["type"] == "welcome" and msg.get("version") == 1,
                 "hello versions [1,7] negotiates version 1",
                 "got %s" % (str(msg)[:160] if msg else "nothing"))

    # ---- 2. permit sync from 0 ----------------------------------------
    gate.held = 0
    gate.permits = {}
    ok, detail, stats = gate.sync()
    report.check(ok, "permit sync from 0 (consecutive seqs, changes<=2000)",
                 detail or ("holds %d permits at seq %d; head_seq %d; %d changes msgs "
                            "(%d permits, largest %d), %d snapshots (%d pages)"
                            % (len(gate.permits), gate.held, gate.head_seq,
                               stats["changes_msgs"], stats["changes_permits"],
                               stats["max_batch"], stats["snapshots"], stats["pages"])))
    if ok:
        report.check(gate.held >= welcome_head, "held seq reaches welcome.head_seq",
                     "held %d, welcome head %d" % (gate.held, welcome_head))
    print("permits: %d held at sequence %d" % (len(gate.permits), gate.held), flush=True)
    if args.expect_permits:
        check_expected_permits(gate, report, args.expect_permits)

    # sync at head: answered by changes; nothing new unless permits are changing
    # right now. Answers carry no request id, so a late answer to an earlier
    # sync (or a push) may arrive instead: permits with seq <= held are then
    # ignored (§5.2.3), which is all a gate can do.
    before = gate.held
    gate.send({"v": 1, "type": "sync", "from_seq": gate.held})
    msg = gate.wait_for({"changes", "snapshot_required", "error"}, REQUEST_TIMEOUT_S)
    ok = msg is not None and msg["type"] == "changes" and is_int(msg.get("head_seq"))
    if ok:
        gate.apply_changes(msg, pushed=False)
    report.check(ok and msg["head_seq"] >= before, "sync at head answered by changes",
                 "from_seq %d: %d permits, head_seq %r" % (before, len(msg.get("permits", [])),
                                                          msg.get("head_seq"))
                 if msg else "nothing")

    # an explicit snapshot (all pages) + sync must agree with the changes-only state
    synced, synced_held = dict(gate.permits), gate.held
    stats2 = {"pages": 0}
    ok, detail = gate.snapshot(stats2)
    if ok:
        base = gate.held
        ok2, detail2, _ = gate.sync()       # §5.2.4: sync from the first base_seq
        snap, snap_held = dict(gate.permits), gate.held
        if ok2:
            # bring the changes-only state to at least the same sequence
            gate.permits, gate.held = synced, synced_held
            ok2, detail2, _ = gate.sync()
        diff = []
        if ok2:
            # compare the two states as of min(held): a permit changed after
            # that may legitimately differ
            upto = min(snap_held, gate.held)
            for pid in set(snap) | set(gate.permits):
                a, b = snap.get(pid), gate.permits.get(pid)
                if a is not None and b is not None and a["seq"] <= upto and b["seq"] <= upto:
                    if a != b:
                        diff.append(pid)
                elif (a is None and b["seq"] <= upto) or (b is None and a["seq"] <= upto):
                    diff.append(pid)
            if snap_held > gate.held:        # keep the newer state
                gate.permits, gate.held = snap, snap_held
        report.check(ok2 and not diff, "snapshot pages + sync agree with changes-only sync",
                     detail2 or ("%d permits in %d pages, base_seq %d, held %d%s"
                                 % (len(snap), stats2["pages"], base, snap_held,
                                    "; differ: %s" % diff[:5] if diff else "")))
    else:
        report.check(False, "snapshot pages", detail)

    # ---- 3. events -----------------------------------------------------
    n = args.events
    events = make_events(args.first_seq, n)
    # Revision 4: the first violation keeps an evidence image (a JPEG-like blob over two chunks).
    evidence = None
    if signing:
        violation = next((e for e in events if e["kind"] == "violation"), None)
        if violation:
            image = b"\xff\xd8\xff" + os.urandom(300_000) + b"\xff\xd9"
            violation["images"] = [{"role": "frame", "sha256": hashlib.sha256(image).hexdigest(), "bytes": len(image)}]
            evidence = (violation["seq"], image)
        seal_events(events, signing)
    t0 = time.monotonic()
    batches, ok = upload(gate, report, events)
    if ok:
        report.check(True, "uploaded %d events in %d batches (<=%d each), every batch acked"
                     % (n, len(batches), MAX_BATCH),
                     "seqs %d..%d, %.2f s" % (events[0]["seq"], events[-1]["seq"], time.monotonic() - t0)
                     if events else "")
    if batches:
        dup = batches[0]
        gate.send({"v": 1, "type": "events", "events": dup})
        msg = gate.wait_for({"ack", "error"}, ACK_TIMEOUT_S)
        report.check(msg is not None and msg["type"] == "ack"
                     and sorted(msg.get("seqs", [])) == [e["seq"] for e in dup],
                     "resent already-acked batch %d..%d acked again (duplicate)"
                     % (dup[0]["seq"], dup[-1]["seq"]),
                     "got %s" % (str(msg)[:120] if msg else "nothing"))

    # ---- 3b. evidence (revision 4) --------------------------------------
    if evidence and ok:
        seq, image = evidence
        msg, chunks = send_evidence(gate, report, "", seq, "frame", image)
        report.check(msg is not None and msg.get("type") == "evidence_ack" and msg.get("complete") is True
                     and msg.get("next_offset") == len(image) and not msg.get("error"),
                     "evidence image of event %d sent in %d chunks -> evidence_ack complete" % (seq, chunks),
                     "got %s" % (str(msg)[:200] if msg else "nothing"))
        msg, _ = send_evidence(gate, report, "", 99_999_999, "frame", image[:1000])
        report.check(msg is not None and msg.get("type") == "evidence_ack" and not msg.get("complete")
                     and isinstance(msg.get("error"), str),
                     "evidence for an unknown event -> evidence_ack with error",
                     "got %s" % (str(msg)[:200] if msg else "nothing"))

    # ---- 4. heartbeat --------------------------------------------------
    h = health(gate, started)
    gate.send({"v": 1, "type": "heartbeat", "health": h})
    msg = gate.wait_for({"heartbeat_ack", "error"}, 5.0)
    ok = (msg is not None and msg["type"] == "heartbeat_ack" and is_int(msg.get("head_seq"))
          and is_int(msg.get("server_time_ms")))
    report.check(ok, "heartbeat (complete health) -> heartbeat_ack",
                 "head_seq=%r server_time_ms=%r" % (msg.get("head_seq"), msg.get("server_time_ms"))
                 if msg else "nothing within 5 s")
    if ok:
        ack_head = msg["head_seq"]
        if ack_head > gate.held:             # §5.2.1: catch up
            gate.sync()
        report.check(ack_head <= gate.held, "heartbeat_ack.head_seq <= held after catch-up",
                     "head_seq %d, held %d" % (ack_head, gate.held))

    # ---- 5. bad messages -----------------------------------------------
    expect_error(gate, report, "unknown type -> error unknown_type",
                 {"v": 1, "type": "teleport", "to": "mars"}, "unknown_type")
    expect_error(gate, report, "v=2 heartbeat -> error unsupported_version",
                 {"v": 2, "type": "heartbeat", "health": h}, "unsupported_version")
    expect_error(gate, report, "hello versions [2,3] -> error unsupported_version",
                 {"v": 1, "type": "hello", "versions": [2, 3], "software": SOFTWARE,
                  "permit_seq": gate.held, "gate_id": expected_id}, "unsupported_version", "hello")
    expect_error(gate, report, "not JSON -> error malformed", [b"{not json"], "malformed")
    expect_error(gate, report, "JSON array -> error malformed", [b"[1,2,3]"], "malformed")
    expect_error(gate, report, "sync without from_seq -> error malformed",
                 {"v": 1, "type": "sync"}, "malformed", "sync")
    expect_error(gate, report, "two-frame message -> error malformed",
                 [json.dumps({"v": 1, "type": "sync", "from_seq": 0}).encode(), b"extra"], "malformed")
    big = make_events(10_000_000, MAX_BATCH + 1)
    expect_error(gate, report, "257-event batch -> error too_large",
                 {"v": 1, "type": "events", "events": big}, "too_large", "events")
    bad = make_events(20_000_000, 2)
    bad[1]["seq"] = 0
    expect_error(gate, report, "batch with seq 0 -> error invalid",
                 {"v": 1, "type": "events", "events": bad}, "invalid", "events")
    bad = make_events(30_000_000, 2)
    bad[1]["plate"] = "ABCDEFGHIJKLMNOPQ"  # 17 characters
    expect_error(gate, report, "batch with 17-char plate -> error invalid",
                 {"v": 1, "type": "events", "events": bad}, "invalid", "events")

    # §6: no message may stop central: it still serves us
    h = health(gate, started)
    gate.send({"v": 1, "type": "heartbeat", "health": h})
    msg = gate.wait_for({"heartbeat_ack", "error"}, 5.0)
    report.check(msg is not None and msg["type"] == "heartbeat_ack",
                 "central still serves after bad messages (final heartbeat acked)",
                 "got %s" % (str(msg)[:120] if msg else "nothing"))

    for m in gate.unexpected:
        report.note("unexpected message: %s" % str(m)[:200])

    print("permits at end: %d held at sequence %d (%d pushed changes applied, %d discarded as gaps)"
          % (len(gate.permits), gate.held, gate.pushes, gate.gaps_in_push), flush=True)
    print("summary: %d checks passed, %d failed" % (report.passed, report.failed), flush=True)
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
