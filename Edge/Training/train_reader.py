"""Train the whole-plate reader (a small CNN with CTC) on rendered plates.

    python train_reader.py --seed 21 --plates 60000 --epochs 14 \
        --base ../PlateRecognition/Resources/plates.bmodel --out ../../.build-ocr-bench/plates.bmodel.new

The reader looks at the rectified strip around a row of glyphs that the gate's blob
detector found (READER_W x READER_H grey, `reader_crop`, mirrored by
`PlateReader.sample` in Swift) and emits, per column group, a distribution over
`0-9A-Z` and a CTC blank. It needs no character boxes: gaps between groups, glyphs
that touch and the EU band no longer break a row into pieces.

PyTorch (CPU, one thread, fixed seeds) trains it; the result is written as the
`reader` of a model file (format version 2, model_file.py) next to the character
ensemble taken from --base. Batch normalisation is folded into the convolutions on
export, so the gate runs plain convolutions, ReLU and max pooling.
"""
import argparse
import sys
import time

import numpy as np

import model_file as M
import plates as P

READER_W, READER_H = 128, 32
# Window around a row, in glyph heights h: from (1 + TOP) h above the glyphs' bottom
# line to BOTTOM h below it; SIDE h left and right of the first and last glyph.
TOP, BOTTOM, SIDE = 0.3, 0.3, 0.65

# conv layers: (in, out, kernel h, kernel w, pad h, pad w, relu, pool h, pool w)
ARCH = [
    (1, 8, 3, 3, 1, 1, True, 2, 2),
    (8, 16, 3, 3, 1, 1, True, 2, 2),
    (16, 32, 3, 3, 1, 1, True, 2, 1),
    (32, 64, 3, 3, 1, 1, True, 2, 1),
    (64, 96, 2, 3, 0, 1, True, 1, 1),
    (96, len(P.ALPHABET) + 1, 1, 1, 0, 0, False, 1, 1),
]
BLANK = len(P.ALPHABET)


def reader_crop(img, slope, intercept, h, xa, xb, side=SIDE):
    """The reader's input for a row whose glyph bottoms lie on y = slope * x + intercept,
    median glyph height h, first glyph's left edge xa, last glyph's right edge xb.
    Bilinear, then zero mean and unit-ish variance, as `PlateReader.sample` in Swift."""
    x0 = xa - side * h
    span = (xb - xa) + 2 * side * h
    xs = x0 + (np.arange(READER_W) + 0.5) * span / READER_W - 0.5
    vs = (np.arange(READER_H) + 0.5) * (1 + TOP + BOTTOM) * h / READER_H
    gx = np.broadcast_to(xs[None, :], (READER_H, READER_W))
    gy = (slope * (xs + 0.5) + intercept)[None, :] - (1 + TOP) * h + vs[:, None] - 0.5
    v, _ = P.bilinear(img, gx.ravel(), gy.ravel())
    v = v.astype(np.float32)
    return ((v - v.mean()) / (v.std() + 8.0)).reshape(READER_H, READER_W).astype(np.float32)


def stitched_crop(img, lines, side=SIDE):
    """The reader's input for the lines of a two-line plate laid side by side, top line
    first, each cut as `reader_crop` cuts a row (its own bottom line, height and span):
    as `PlateReader.sample(_:lines:)` in Swift. `lines` holds (slope, intercept, h, xa, xb)."""
    widths = [(xb - xa) / h + 2 * side for (_, _, h, xa, xb) in lines]
    starts = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    total = float(sum(widths))
    t = (np.arange(READER_W) + 0.5) * total / READER_W
    idx = np.searchsorted(starts, t, side="right") - 1
    slope, intercept, h, xa, _ = (np.array(v, np.float64)[idx] for v in zip(*lines))
    cx = xa + (t - starts[idx] - side) * h
    vs = np.arange(READER_H) + 0.5
    gy = (slope * cx + intercept - (1 + TOP) * h)[None, :] + vs[:, None] * ((1 + TOP + BOTTOM) * h / READER_H)[None, :] - 0.5
    gx = np.broadcast_to((cx - 0.5)[None, :], (READER_H, READER_W))
    v, _ = P.bilinear(img, gx.ravel(), gy.ravel())
    v = v.astype(np.float32)
    return ((v - v.mean()) / (v.std() + 8.0)).reshape(READER_H, READER_W).astype(np.float32)


def row_geometry(rng, tboxes, jitter=0.04):
    """What the blob detector would report for these glyph boxes: bottom line, median
    height, span; with the detector's pixel noise."""
    hs = np.array([b[3] - b[1] for _, b in tboxes])
    h = float(np.median(hs))
    cx = np.array([(b[0] + b[2]) / 2 for _, b in tboxes])
    by = np.array([b[3] for _, b in tboxes]) + rng.normal(0, jitter * h, len(tboxes))
    if len(tboxes) >= 2 and np.ptp(cx) > 0:
        slope, intercept = np.polyfit(cx, by, 1)
    else:
        slope, intercept = 0.0, float(by.mean())
    xa = tboxes[0][1][0] + rng.normal(0, jitter * h)
    xb = tboxes[-1][1][2] + rng.normal(0, jitter * h)
    return float(slope), float(intercept), h * rng.uniform(0.95, 1.05), float(xa), float(xb)


def spanish_text(rng):
    return (P.spanish_current(rng) if rng.random() < 0.85 else P.spanish_provincial(rng)), "E"


def make_sample(rng, fonts, backgrounds, two_line_share=0.0):
    """One (crop, label) pair: a plate in a scene, seen by the detector, cut as the gate cuts it.
    A share of them (`two_line_share`; none unless asked, so older sets stay as they were)
    are square plates whose two lines are cut side by side, as the gate reads them."""
    if two_line_share and rng.random() < two_line_share:
        lines, country, style = P.two_line_text(rng)
        font = fonts[rng.integers(len(fonts))]
        flat, boxes = P.render_two_line_plate(rng, lines, country, style, font)
        top_count = len("".join(lines[0]))
    else:
        top_count = 0
        r = rng.random()
        if r < 0.6:
            groups, country = spanish_text(rng)
            style = rng.random() < 0.8
            gap = (0.3, 2.0) if style else (0.35, 0.8)
        else:
            groups, country = P.random_text(rng, spanish_share=0.0)
            style, gap = False, (0.35, 0.8)
        font = fonts[rng.integers(len(fonts))]
        flat, boxes = P.render_plate(rng, groups, country, font, gap_range=gap, spanish_style=style, extras=True)
    if rng.random() < 0.5:
        flat, boxes = P.surround(rng, flat, boxes, fonts)
    ph, pw = flat.shape
    char_h = boxes[0][1][3] - boxes[0][1][1]
    target = rng.uniform(10, 44)
    scale = target / char_h
    quad = P.random_quad(rng, pw, ph, scale, max_rot_deg=8, persp=0.15)
    margin = target * 1.5
    quad = quad - quad.min(0) + margin
    ow = int(quad[:, 0].max() + margin)
    oh = int(quad[:, 1].max() + margin)
    Hm = P.homography([(0, 0), (pw, 0), (pw, ph), (0, ph)], quad)
    bg = backgrounds[rng.integers(len(backgrounds))]
    by0 = rng.integers(0, bg.shape[0] - oh) if bg.shape[0] > oh else 0
    bx0 = rng.integers(0, bg.shape[1] - ow) if bg.shape[1] > ow else 0
    back = np.resize(bg[by0:by0 + oh, bx0:bx0 + ow], (oh, ow)).astype(np.float32)
    warped, valid = P.warp(flat, Hm, ow, oh, 0)
    img = np.where(valid, warped, back)
    img = P.degrade(rng, img, extras=True)
    tboxes = []
    for c, (x0, y0, x1, y1) in boxes:
        q = P.apply_h(Hm, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
        bx0_, by0_ = q.min(0)
        bx1_, by1_ = q.max(0)
        sh = (by1_ - by0_) * 0.04
        tboxes.append((c, (bx0_ + sh, by0_ + sh, bx1_ - sh, by1_ - sh)))
    text = "".join(c for c, _ in boxes)
    if top_count:
        lines = [row_geometry(rng, tboxes[:top_count]), row_geometry(rng, tboxes[top_count:])]
        return stitched_crop(img, lines, side=SIDE * rng.uniform(0.7, 1.4)), text
    slope, intercept, h, xa, xb = row_geometry(rng, tboxes)
    if rng.random() < 0.06:
        # Not a plate: a strip of the background (car body, grille, lettering), read as nothing.
        h = rng.uniform(10, 40)
        xa = rng.uniform(0, max(1, bg.shape[1] - 6 * h))
        intercept = rng.uniform(2 * h, max(2 * h + 1, bg.shape[0] - h))
        return reader_crop(bg.astype(np.float32), rng.uniform(-0.1, 0.1), intercept, h, xa, xa + h * rng.uniform(3, 7)), ""
    return reader_crop(img, slope, intercept, h, xa, xb, side=SIDE * rng.uniform(0.7, 1.4)), text


def backgrounds_for(rng, n=24):
    import render_scenes as R
    return [np.clip(R.background(rng, 640, 480), 0, 255).astype(np.uint8) for _ in range(n)]


CHUNK = 2000


def render_chunk(args):
    """Chunk k of the set, from its own seed: the same set whatever the number of workers."""
    seed, k, n, two_line_share = args
    rng = np.random.default_rng([seed, k])
    fonts = P.available_fonts()
    backgrounds = backgrounds_for(rng, 8)
    X = np.zeros((n, READER_H, READER_W), np.float32)
    labels = []
    for i in range(n):
        X[i], t = make_sample(rng, fonts, backgrounds, two_line_share)
        labels.append(t)
    return X, labels


def render(seed, n, workers, cache, two_line_share=0.0):
    """The set as chunks; with `cache` (a folder) each chunk is kept as it is made, so an
    interrupted run resumes, and chunks already there are not rendered again."""
    import os
    from multiprocessing import Pool
    jobs = [(seed, k, min(CHUNK, n - k * CHUNK), two_line_share) for k in range((n + CHUNK - 1) // CHUNK)]
    kind = f"-two{two_line_share:g}" if two_line_share else ""
    path = (lambda k: os.path.join(cache, f"seed{seed}{kind}-chunk{k:03d}-of{CHUNK}.npz")) if cache else None
    if cache:
        os.makedirs(cache, exist_ok=True)
    todo = [j for j in jobs if not (cache and os.path.exists(path(j[1])))]
    t0 = time.time()
    chunks = {}
    with Pool(workers) as pool:
        for job, (X, L) in zip(todo, pool.imap(render_chunk, todo)):
            chunks[job[1]] = (X, L)
            if cache:
                np.savez(path(job[1]) + ".tmp.npz", X=X, labels=np.array(L))
                os.replace(path(job[1]) + ".tmp.npz", path(job[1]))
            print(f"  rendered chunk {job[1]} ({time.time() - t0:.0f}s)", flush=True)
    Xs, labels = [], []
    for _, k, count, _ in jobs:
        if k not in chunks:
            d = np.load(path(k))
            chunks[k] = (d["X"], [str(t) for t in d["labels"]])
        X, L = chunks[k]
        assert len(X) == count
        Xs.append(X)
        labels += L
    return np.concatenate(Xs), labels


def augment(torch, x, gen):
    """Cheap variation on top of the rendered crops (rendering costs 4x a training step):
    a small affine change of the strip as a detector's box jitter makes it, contrast, noise."""
    n = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=gen)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = u(0.94, 1.06)
    theta[:, 0, 1] = u(-0.08, 0.08)
    theta[:, 0, 2] = u(-0.03, 0.03)
    theta[:, 1, 1] = u(0.9, 1.1)
    theta[:, 1, 2] = u(-0.08, 0.08)
    grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    x = torch.nn.functional.grid_sample(x, grid, padding_mode="border", align_corners=False)
    x = x * u(0.75, 1.25)[:, None, None, None] + 0.08 * torch.randn(x.shape, generator=gen)
    return x


def build(torch):
    nn = torch.nn
    layers = []
    for (cin, cout, kh, kw, ph, pw, relu, qh, qw) in ARCH:
        layers.append(nn.Conv2d(cin, cout, (kh, kw), padding=(ph, pw), bias=not relu))
        if relu:
            layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.ReLU())
        if qh > 1 or qw > 1:
            layers.append(nn.MaxPool2d((qh, qw)))
    return nn.Sequential(*layers)


def folded(torch, net):
    """Per conv layer (weights out x in x kh x kw, bias) with batch norm folded in."""
    out = []
    mods = list(net)
    i = 0
    while i < len(mods):
        conv = mods[i]
        if isinstance(conv, torch.nn.Conv2d):
            w = conv.weight.detach().double().numpy()
            b = conv.bias.detach().double().numpy() if conv.bias is not None else np.zeros(w.shape[0])
            if i + 1 < len(mods) and isinstance(mods[i + 1], torch.nn.BatchNorm2d):
                bn = mods[i + 1]
                g = bn.weight.detach().double().numpy() / np.sqrt(bn.running_var.detach().double().numpy() + bn.eps)
                w = w * g[:, None, None, None]
                b = (b - bn.running_mean.detach().double().numpy()) * g + bn.bias.detach().double().numpy()
            out.append((w.astype(np.float32), b.astype(np.float32)))
        i += 1
    return out


def greedy(logits):
    """CTC best path per sample: argmax per column, repeats merged, blanks dropped."""
    best = logits.argmax(-1)
    texts = []
    for row in best:
        s, prev = [], BLANK
        for k in row:
            if k != prev and k != BLANK:
                s.append(P.ALPHABET[k])
            prev = k
        texts.append("".join(s))
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--plates", type=int, default=60000)
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--base", required=True, help="model file whose character ensemble is kept")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default="", help="folder keeping the rendered chunks (resumable)")
    ap.add_argument("--render-only", action="store_true")
    ap.add_argument("--two-line-share", type=float, default=0.0,
                    help="share of square plates, their two lines cut side by side (PlateReader.sample(_:lines:))")
    ap.add_argument("--workers", type=int, default=2, help="rendering processes (the set does not depend on it)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="safety stop after this many minutes of training, at an epoch's end (then not reproducible)")
    a = ap.parse_args()
    rng = np.random.default_rng([a.seed, 1 << 20])  # shuffling; rendering has its own streams
    P.available_fonts()
    t0 = time.time()
    import os
    X, labels = render(a.seed, a.plates, a.workers, a.cache, a.two_line_share)
    if a.render_only:
        return 0
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    print(f"{len(X)} crops in {time.time() - t0:.0f}s", flush=True)
    n_val = max(len(X) // 20, min(500, len(X) // 4))
    Xv, Lv = X[:n_val], labels[:n_val]
    Xt, Lt = X[n_val:], labels[n_val:]
    t0 = time.time()  # the time budget counts training only
    net = build(torch)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    bs = 128
    steps_per_epoch = (len(Xt) + bs - 1) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=a.epochs * steps_per_epoch, pct_start=0.15)
    ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
    enc = [np.array([P.ALPHABET.index(c) for c in t], np.int64) for t in Lt]
    gen = torch.Generator().manual_seed(a.seed)
    for ep in range(a.epochs):
        net.train()
        perm = rng.permutation(len(Xt))
        losses = []
        for s in range(0, len(perm), bs):
            idx = perm[s:s + bs]
            x = augment(torch, torch.from_numpy(Xt[idx]).unsqueeze(1), gen)
            out = net(x).squeeze(2).permute(2, 0, 1)  # T x N x C
            logp = out.log_softmax(-1)
            tg = [enc[i] for i in idx]
            targets = torch.from_numpy(np.concatenate(tg) if any(len(t) for t in tg) else np.zeros(0, np.int64))
            tl = torch.tensor([len(t) for t in tg], dtype=torch.long)
            il = torch.full((len(idx),), logp.shape[0], dtype=torch.long)
            loss = ctc(logp, targets, il, tl)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        net.eval()
        with torch.no_grad():
            lv = net(torch.from_numpy(Xv).unsqueeze(1)).squeeze(2).permute(0, 2, 1).numpy()
        acc = np.mean([p == t for p, t in zip(greedy(lv), Lv)])
        print(f"epoch {ep + 1}/{a.epochs} loss {np.mean(losses):.4f} held-out exact {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
        if a.max_minutes and time.time() - t0 > a.max_minutes * 60:
            print("time budget reached", flush=True)
            break
    layers = folded(torch, net)
    command = f"train_reader.py --seed {a.seed} --plates {a.plates} --epochs {a.epochs}" + (f" --max-minutes {a.max_minutes}" if a.max_minutes else "") \
        + (f" --two-line-share {a.two_line_share:g}" if a.two_line_share else "")
    M.write_with_reader(a.base, a.out, ARCH, layers, command, (READER_W, READER_H), (TOP, BOTTOM, SIDE))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
