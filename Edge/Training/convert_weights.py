"""One-off: convert the generated Swift weight files (CharacterModelWeights1…3.swift, the
format before issue 9) into the model file, byte for byte the same float32 weights.

    python convert_weights.py ../PlateRecognition/CharacterModelWeights{1,2,3}.swift \
        --out ../PlateRecognition/Resources/plates.bmodel
"""
import argparse
import base64
import re

import model_file as M


def member_from_swift(path):
    text = open(path).read()
    lines = text.splitlines()
    command = lines[1].removeprefix("// ").strip()
    layers = [[int(a), int(b)] for a, b in re.findall(r"\((\d+), (\d+)\)", re.search(r"layers: \[(.*)\]", text).group(1))]
    b64 = re.search(r'base64: """\n(.*?)"""', text, re.S).group(1)
    payload = base64.b64decode("".join(b64.split()))
    expected = sum(4 * (a * b + b) for a, b in layers)
    assert len(payload) == expected, f"{path}: {len(payload)} bytes, layer table says {expected}"
    return {"layers": layers, "command": command, "payload": payload}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("swift", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    M.write(a.out, [member_from_swift(p) for p in a.swift])
    print(f"wrote {a.out}: {len(M.read(a.out))} members")


if __name__ == "__main__":
    main()
