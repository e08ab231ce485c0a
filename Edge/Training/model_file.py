"""The recogniser's model file (`plates.bmodel`): what train_ocr.py writes and the gate loads.

Layout (all integers little-endian), format version 1:

    offset 0   8 bytes   magic b"BOLLOCR\\0"
    offset 8   u32       format version (1)
    offset 12  u32       header length N in bytes
    offset 16  N bytes   header, UTF-8 JSON:
                           {"alphabet": "0-9A-Z as a string (one more output: not a character)",
                            "input": [crop width, crop height],
                            "members": [{"layers": [[inputs, outputs], ...], "command": "train_ocr.py ..."}, ...],
                            "payload_bytes": P, "payload_sha256": "hex of the payload"}
    offset 16+N  P bytes payload: per member, per layer, W (outputs x inputs, row-major)
                           then b (outputs), as float32

Format version 2 adds the whole-plate reader (train_reader.py) after the members:
the header gains

                            "reader": {"input": [width, height], "window": [top, bottom, side],
                                       "blank": 36, "command": "train_reader.py ...",
                                       "layers": [{"in", "out", "kh", "kw", "ph", "pw",
                                                   "relu", "pool": [h, w]}, ...]}

and the payload, after the members, per reader layer: W (out x in x kh x kw) then b,
float32. A version 1 file (no reader) is still read.

Format version 3 adds the reader's confidence calibration (calibrate_reader.py) to
the reader's header, the payload unchanged:

                            "calibration": {"score": {"log_probability": a, "log_minimum": b,
                                                      "skipped": c, "bias": d},
                                            "knots": [[score, confidence], ...],
                                            "command": "calibrate_reader.py ..."}

score = a ln(product of character probabilities) + b ln(least of them) + c skipped + d,
mapped piecewise-linearly through the knots (scores strictly increasing, confidences
non-decreasing in [0, 1]).

The Swift reader is Edge/PlateRecognition/RecognitionModel.swift; both must agree.
"""
import hashlib
import json
import struct

import numpy as np

MAGIC = b"BOLLOCR\0"
VERSION = 1
VERSION_READER = 2
VERSION_CALIBRATED = 3
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
INPUT = (20, 32)


def member_payload(weights, biases):
    """Bytes of one member from per-layer W (inputs x outputs, as numpy trains them) and b."""
    blob = b""
    layers = []
    for W, b in zip(weights, biases):
        layers.append([int(W.shape[0]), int(W.shape[1])])
        blob += np.ascontiguousarray(W.T).astype("<f4").tobytes()  # outputs x inputs, row-major
        blob += np.asarray(b).astype("<f4").tobytes()
    return layers, blob


def write(path, members):
    """members: list of dicts {"layers": [[in, out], ...], "command": str, "payload": bytes}."""
    payload = b"".join(m["payload"] for m in members)
    header = {
        "alphabet": ALPHABET,
        "input": list(INPUT),
        "members": [{"layers": m["layers"], "command": m["command"]} for m in members],
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION, len(head)) + head + payload)


def read(path):
    """The members of a model file, each with its payload bytes; checks what the gate checks."""
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not a model file")
    version, n = struct.unpack("<II", data[8:16])
    if version not in (VERSION, VERSION_READER, VERSION_CALIBRATED):
        raise ValueError(f"{path}: format version {version}, expected {VERSION} to {VERSION_CALIBRATED}")
    header = json.loads(data[16:16 + n])
    payload = data[16 + n:]
    if len(payload) != header["payload_bytes"] or hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise ValueError(f"{path}: payload does not match its header")
    members, offset = [], 0
    for m in header["members"]:
        size = sum(4 * (a * b + b) for a, b in m["layers"])
        members.append({"layers": m["layers"], "command": m["command"], "payload": payload[offset:offset + size]})
        offset += size
    if "reader" in header:
        offset += sum(4 * (l["out"] * l["in"] * l["kh"] * l["kw"] + l["out"]) for l in header["reader"]["layers"])
    if offset != len(payload):
        raise ValueError(f"{path}: layer table does not cover the payload")
    return members


def write_with_reader(base, path, arch, layers, command, size, window):
    """Writes a version 2 file: the members of `base` and the reader's conv layers
    (arch as in train_reader.ARCH, layers as (W out x in x kh x kw, b) float32)."""
    members = read(base)
    payload = b"".join(m["payload"] for m in members)
    table = []
    for (cin, cout, kh, kw, ph, pw, relu, qh, qw), (W, b) in zip(arch, layers):
        assert W.shape == (cout, cin, kh, kw) and b.shape == (cout,)
        table.append({"in": cin, "out": cout, "kh": kh, "kw": kw, "ph": ph, "pw": pw, "relu": bool(relu), "pool": [qh, qw]})
        payload += np.ascontiguousarray(W).astype("<f4").tobytes() + np.asarray(b).astype("<f4").tobytes()
    header = {
        "alphabet": ALPHABET,
        "input": list(INPUT),
        "members": [{"layers": m["layers"], "command": m["command"]} for m in members],
        "reader": {"input": list(size), "window": [float(v) for v in window], "blank": len(ALPHABET),
                   "command": command, "layers": table},
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION_READER, len(head)) + head + payload)


def replace_member(path, index, member):
    """Writes `member` as the index-th (0-based) member of the file at path, keeping the others.
    The result is a version 1 file: a reader in the old file is not kept (train it again
    with train_reader.py --base on the new file)."""
    try:
        members = read(path)
    except FileNotFoundError:
        members = []
    while len(members) <= index:
        members.append(None)
    members[index] = member
    if any(m is None for m in members):
        missing = [i + 1 for i, m in enumerate(members) if m is None]
        raise ValueError(f"{path}: train members {missing} first (members are numbered from 1)")
    write(path, members)


def write_calibrated(base, path, calibration):
    """Writes a version 3 file: `base` (version 2 or 3, with a reader) with the reader's
    calibration set to `calibration` (the dict described above); weights unchanged."""
    data = open(base, "rb").read()
    read(base)  # checks magic, version, hash and layer table
    version, n = struct.unpack("<II", data[8:16])
    header = json.loads(data[16:16 + n])
    if version < VERSION_READER or "reader" not in header:
        raise ValueError(f"{base}: no whole-plate reader to calibrate")
    header["reader"]["calibration"] = calibration
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION_CALIBRATED, len(head)) + head + data[16 + n:])


def with_members(base, members_path, path):
    """Writes `base` (any version; its reader and calibration, if any, kept byte for byte)
    with the character ensemble of `members_path` in place of its own: a retrained ensemble
    goes into the packaged file without training the reader again."""
    data = open(base, "rb").read()
    read(base)  # checks magic, version, hash and layer table
    version, n = struct.unpack("<II", data[8:16])
    header = json.loads(data[16:16 + n])
    old = sum(4 * (a * b + b) for m in header["members"] for a, b in m["layers"])
    members = read(members_path)
    payload = b"".join(m["payload"] for m in members) + data[16 + n + old:]
    header["members"] = [{"layers": m["layers"], "command": m["command"]} for m in members]
    header["payload_bytes"] = len(payload)
    header["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<II", version, len(head)) + head + payload)
    read(path)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 5 and sys.argv[1] == "with-members":
        with_members(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: python model_file.py with-members BASE MEMBERS OUT")
