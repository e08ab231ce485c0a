"""Train the character classifier on rendered plates and write it into the model file.

    python train_ocr.py --seed 7 --plates 20000 --epochs 12 --hidden 256 128 --member 1 \
        --out ../PlateRecognition/Resources/plates.bmodel

Numpy only, one thread (minutes). Each model is a small MLP: 20x32 normalised
crop -> hidden ReLU layers -> 37 classes (0-9, A-Z, reject), softmax. The gate
averages the ensemble members of the model file (format: model_file.py); --member N
replaces member N of an existing file and keeps the others.
"""
import argparse
import os
import sys
import time

import numpy as np

import model_file as M
import plates as P


def make_samples(rng, n_plates, fonts, regulation_share=0.0):
    X, Y = [], []
    for i in range(n_plates):
        groups, country = P.random_text(rng, spanish_share=0.45)
        font = fonts[rng.integers(len(fonts))]
        # Spanish plates in the regulation cell (narrow M and W, screws, the E band), as
        # Bilbao's cameras see them; drawn only when asked, so older members' streams hold.
        regulation = regulation_share > 0 and country == "E" and rng.uniform() < regulation_share
        flat, boxes = P.render_plate(rng, groups, country, font, spanish_style=regulation, extras=regulation)
        ph, pw = flat.shape
        char_h = boxes[0][1][3] - boxes[0][1][1]
        target = rng.uniform(9, 46)
        scale = target / char_h
        quad = P.random_quad(rng, pw, ph, scale, max_rot_deg=9, persp=0.15)
        margin = target * 1.5
        quad = quad - quad.min(0) + margin
        ow = int(quad[:, 0].max() + margin)
        oh = int(quad[:, 1].max() + margin)
        Hm = P.homography([(0, 0), (pw, 0), (pw, ph), (0, ph)], quad)
        bgv = rng.uniform(20, 230)
        bg = np.full((oh, ow), bgv, np.float32) + rng.normal(0, rng.uniform(2, 25), (oh, ow)).astype(np.float32)
        warped, valid = P.warp(flat, Hm, ow, oh, 0)
        img = np.where(valid, warped, bg)  # edge blend kept simple
        img = P.degrade(rng, img)
        tboxes = []
        for c, (x0, y0, x1, y1) in boxes:
            q = P.apply_h(Hm, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
            # ink box of a slanted glyph is a little tighter than its quad's box
            bx0, by0 = q.min(0)
            bx1, by1 = q.max(0)
            sh = (by1 - by0) * 0.04
            tboxes.append((c, (bx0 + sh, by0 + sh, bx1 - sh, by1 - sh)))
        hs = [b[3] - b[1] for _, b in tboxes]
        mh = float(np.median(hs))
        for j, (c, (x0, y0, x1, y1)) in enumerate(tboxes):
            bh, bw = y1 - y0, x1 - x0
            j1 = rng.normal(0, 0.04, 4) * bh
            X.append(P.crop_char(img, (x0 + j1[0], y0 + j1[1], x1 + j1[2], y1 + j1[3])))
            Y.append(P.ALPHABET.index(c))
        # rejects: plate edges, top/bottom halves, band, background, between rows. No crops that
        # straddle two glyphs or merge a pair: to a small model they look like M, W, H and N,
        # and the detector centres its crops on single blobs anyway.
        for _ in range(2):
            k = rng.integers(6)
            j = rng.integers(len(tboxes))
            _, (x0, y0, x1, y1) = tboxes[j]
            bw, bh = x1 - x0, y1 - y0
            if k == 0:  # the plate's left edge (band side)
                q = P.apply_h(Hm, [(0, 0), (0, ph)])
                ex = (q[0, 0] + q[1, 0]) / 2 + rng.uniform(-0.1, 0.3) * mh
                box = (ex - mh * 0.2, y0, ex + mh * 0.2, y1)
            elif k == 1:  # the plate's right edge or frame, past the last character
                q = P.apply_h(Hm, [(pw, 0), (pw, ph)])
                ex = (q[0, 0] + q[1, 0]) / 2 + rng.uniform(-0.1, 0.1) * mh
                box = (ex - mh * 0.1, y0, ex + mh * 0.1, y1)
            elif k == 2:
                box = (x0, y0, x1, y0 + bh * rng.uniform(0.3, 0.55)) if rng.random() < 0.5 else (x0, y1 - bh * rng.uniform(0.3, 0.55), x1, y1)
            elif k == 3:
                q = P.apply_h(Hm, [(0, 0), (pw * 0.1, ph)])
                box = (q[0, 0] - 2, q[0, 1], q[1, 0] + 2, q[1, 1])
            elif k == 4:
                cx, cy = rng.uniform(0, ow), rng.uniform(0, oh)
                hh = mh * rng.uniform(0.6, 1.5)
                box = (cx, cy, cx + hh * rng.uniform(0.2, 0.9), cy + hh)
            else:
                box = (x0 - bw * 0.1, y0 - bh * rng.uniform(0.3, 0.6), x1 + bw * 0.1, y1 - bh * rng.uniform(0.3, 0.6))
            X.append(P.crop_char(img, box))
            Y.append(P.REJECT)
        if (i + 1) % 2000 == 0:
            print(f"  rendered {i + 1}/{n_plates} plates, {len(X)} crops", flush=True)
    return np.stack(X), np.array(Y, dtype=np.int64)


class MLP:
    def __init__(self, rng, sizes):
        self.W = [rng.normal(0, np.sqrt(2 / a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(b, np.float32) for b in sizes[1:]]
        self.m = [np.zeros_like(p) for p in self.W + self.b]
        self.v = [np.zeros_like(p) for p in self.W + self.b]
        self.t = 0

    def forward(self, x):
        acts = [x]
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            x = x @ W + b
            if i < len(self.W) - 1:
                x = np.maximum(x, 0)
            acts.append(x)
        return acts

    def step(self, x, y, lr, wd=1e-5):
        acts = self.forward(x)
        z = acts[-1]
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y] + 1e-9).mean()
        g = p
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        gW, gb = [], []
        for i in reversed(range(len(self.W))):
            gW.insert(0, acts[i].T @ g + wd * self.W[i])
            gb.insert(0, g.sum(0))
            if i > 0:
                g = (g @ self.W[i].T) * (acts[i] > 0)
        self.t += 1
        params = self.W + self.b
        grads = gW + gb
        for k, (pp, gg) in enumerate(zip(params, grads)):
            self.m[k] = 0.9 * self.m[k] + 0.1 * gg
            self.v[k] = 0.999 * self.v[k] + 0.001 * gg * gg
            mh = self.m[k] / (1 - 0.9 ** self.t)
            vh = self.v[k] / (1 - 0.999 ** self.t)
            pp -= lr * mh / (np.sqrt(vh) + 1e-8)
        return loss

    def predict(self, x):
        return self.forward(x)[-1].argmax(1)


def export_model(model, path, member, command):
    """Writes the model as member `member` of the model file at path (the others are kept)."""
    layers, payload = M.member_payload(model.W, model.b)
    M.replace_member(path, member - 1, {"layers": layers, "command": command, "payload": payload})
    print(f"wrote member {member} into {path} ({len(payload)} bytes of weights)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--plates", type=int, default=24000)
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    ap.add_argument("--out", required=True)
    ap.add_argument("--member", type=int, default=1, help="ensemble member number, from 1 (its place in the model file)")
    ap.add_argument("--cache", default="")
    ap.add_argument("--w-apex", type=float, nargs=2, default=list(P.W_APEX), help="range of W's middle apex height")
    ap.add_argument("--regulation-share", type=float, default=0.0,
                    help="share of Spanish plates drawn in the regulation cell (narrow M and W); 0 keeps older streams")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    P.W_APEX = tuple(a.w_apex)
    fonts = P.available_fonts()
    print(f"fonts: {len(fonts)}")
    t0 = time.time()
    if a.cache and os.path.exists(a.cache):
        d = np.load(a.cache)
        X, Y = d["X"], d["Y"]
    else:
        X, Y = make_samples(rng, a.plates, fonts, a.regulation_share)
        if a.cache:
            np.savez(a.cache, X=X, Y=Y)
    print(f"{len(X)} crops in {time.time() - t0:.0f}s; reject share {np.mean(Y == P.REJECT):.2f}", flush=True)
    X = X.reshape(len(X), -1)
    n_val = len(X) // 10
    Xv, Yv, Xt, Yt = X[:n_val], Y[:n_val], X[n_val:], Y[n_val:]
    model = MLP(rng, [X.shape[1]] + a.hidden + [len(P.ALPHABET) + 1])
    bs = 256
    for ep in range(a.epochs):
        lr = 1e-3 * (0.5 * (1 + np.cos(np.pi * ep / a.epochs))) + 2e-5
        perm = rng.permutation(len(Xt))
        losses = []
        for s in range(0, len(perm), bs):
            idx = perm[s:s + bs]
            losses.append(model.step(Xt[idx], Yt[idx], lr))
        acc = np.mean(model.predict(Xv) == Yv)
        print(f"epoch {ep + 1}/{a.epochs} loss {np.mean(losses):.4f} held-out acc {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    pv = model.predict(Xv)
    chars = Yv != P.REJECT
    print(f"held-out: char acc {np.mean(pv[chars] == Yv[chars]):.4f}, reject recall {np.mean(pv[~chars] == P.REJECT):.4f}")
    command = f"train_ocr.py --seed {a.seed} --plates {a.plates} --epochs {a.epochs} --hidden {' '.join(map(str, a.hidden))} --w-apex {a.w_apex[0]} {a.w_apex[1]}"
    if a.regulation_share > 0:
        command += f" --regulation-share {a.regulation_share}"
    command += f" --member {a.member}"
    export_model(model, a.out, a.member, command)


if __name__ == "__main__":
    sys.exit(main())
