"""Render a reproducible set of scenes with plates, for benchmarks and test fixtures.

    python render_scenes.py --out DIR --count 200 --seed 2024 [--layout spanish] [--plates-per-image 1] [--group-gap 1.3 1.9]
        [--style regulation]
    python render_scenes.py --out DIR --count 200 --seed 7070 --layout two-line

`--layout two-line` renders square plates (plates.render_two_line_plate) with frames, screws,
IR grey and motion blur; it draws from the random stream in its own way, so the sets of the
other layouts are unchanged by it.

Writes DIR/scene_NNNN.jpg (or .pgm with --pgm) and DIR/labels.csv in the format of
shared/datasets/*/labels.csv: image,x,y,width,height,plate (one row per plate).
"""
import argparse
import csv
import io
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

import plates as P


def background(rng, w, h):
    base = rng.uniform(60, 200)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = base + rng.uniform(-40, 40) * xx / w + rng.uniform(-40, 40) * yy / h
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    # car-like structure: body panels, lights, bumper lines
    for _ in range(int(rng.integers(4, 12))):
        x0, y0 = rng.uniform(-0.2, 1) * w, rng.uniform(-0.2, 1) * h
        d.rectangle((x0, y0, x0 + rng.uniform(0.05, 0.6) * w, y0 + rng.uniform(0.02, 0.3) * h), fill=int(rng.uniform(10, 245)))
    for _ in range(int(rng.integers(2, 6))):
        y = rng.uniform(0, h)
        d.line((0, y, w, y + rng.uniform(-30, 30)), fill=int(rng.uniform(0, 255)), width=int(rng.integers(1, 6)))
    arr = np.asarray(im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2))), dtype=np.float32)
    return arr + rng.normal(0, rng.uniform(2, 8), arr.shape)


def plate_text(rng, layout):
    if layout == "spanish":
        return (P.spanish_current(rng) if rng.random() < 0.85 else P.spanish_provincial(rng)), "E"
    return P.random_text(rng, spanish_share=0.3)


def render_scene(rng, fonts, layout, n_plates, size=(640, 480), gap_range=(0.35, 0.8), regulation=False):
    w, h = size
    img = background(rng, w, h)
    labels = []
    occupied = []
    two_line = layout == "two-line"
    for _ in range(n_plates):
        if two_line:
            # Square plates: drawn with their own random draws, frames and surrounds as in the
            # regulation style; IR and motion blur below (extras). Sized by their character
            # height (15-36 px at 640 x 480: a motorcycle plate's glyphs are smaller than a car's).
            lines, country, style = P.two_line_text(rng)
            flat, boxes = P.render_two_line_plate(rng, lines, country, style, fonts[rng.integers(len(fonts))])
            if rng.random() < 0.5:
                flat, boxes = P.surround(rng, flat, boxes, fonts)
            char_h = boxes[0][1][3] - boxes[0][1][1]
            char_target = rng.uniform(15, 36) * w / 640
        else:
            groups, country = plate_text(rng, layout)
            if regulation:
                # Spanish plates as the regulation draws them (narrow M and W, E band, wide
                # group gap, screws), frames and dealer surrounds; other layouts as before.
                spanish = country == "E"
                flat, boxes = P.render_plate(rng, groups, country, fonts[rng.integers(len(fonts))],
                                             gap_range=(0.3, 2.0) if spanish else gap_range, spanish_style=spanish, extras=True)
                if rng.random() < 0.5:
                    flat, boxes = P.surround(rng, flat, boxes, fonts)
            else:
                flat, boxes = P.render_plate(rng, groups, country, fonts[rng.integers(len(fonts))], gap_range=gap_range)
        ph, pw = flat.shape
        for _attempt in range(20):
            if two_line:
                quad = P.random_quad(rng, pw, ph, char_target / char_h, max_rot_deg=7, persp=0.12)
            else:
                target_w = rng.uniform(110, 260) if n_plates == 1 else rng.uniform(100, 190)
                quad = P.random_quad(rng, pw, ph, target_w / pw, max_rot_deg=7, persp=0.12)
            qmin, qmax = quad.min(0), quad.max(0)
            ox = rng.uniform(-qmin[0] + 5, w - qmax[0] - 5)
            oy = rng.uniform(-qmin[1] + 5, h - qmax[1] - 5)
            q = quad + [ox, oy]
            box = (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max())
            if all(box[2] < o[0] - 10 or box[0] > o[2] + 10 or box[3] < o[1] - 10 or box[1] > o[3] + 10 for o in occupied):
                break
        occupied.append(box)
        Hm = P.homography([(0, 0), (pw, 0), (pw, ph), (0, ph)], q)
        warped, valid = P.warp(flat, Hm, w, h, 0)
        img = np.where(valid, warped, img)
        text = "".join(c for c, _ in boxes)
        x0, y0, x1, y1 = [int(round(v)) for v in box]
        labels.append((x0, y0, x1 - x0, y1 - y0, text))
    img = P.degrade(rng, img, strength=0.8, extras=regulation or two_line)
    return img, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--layout", default="spanish", choices=["spanish", "mixed", "two-line"],
                    help="two-line: square plates (Spanish motorcycle NNNN over LLL, French LL over NNN-LL, British LLNN over LLL)")
    ap.add_argument("--plates-per-image", type=int, default=1)
    ap.add_argument("--pgm", action="store_true")
    ap.add_argument("--size", type=int, nargs=2, default=[640, 480])
    ap.add_argument("--group-gap", type=float, nargs=2, default=[0.35, 0.8],
                    help="space between a plate's groups, in character heights (wide: 1.3 1.9)")
    ap.add_argument("--style", default="classic", choices=["classic", "regulation"],
                    help="regulation: Spanish plates in the regulation layout, frames, screws, IR, motion blur")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    fonts = P.available_fonts()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "labels.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["image", "x", "y", "width", "height", "plate"])
        for i in range(a.count):
            img, labels = render_scene(rng, fonts, a.layout, a.plates_per_image, tuple(a.size), tuple(a.group_gap), a.style == "regulation")
            name = f"scene_{i:04d}." + ("pgm" if a.pgm else "jpg")
            im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
            if a.pgm:
                im.save(os.path.join(a.out, name))
            else:
                im.save(os.path.join(a.out, name), "JPEG", quality=int(rng.integers(70, 95)))
            for lb in labels:
                wr.writerow([name, *lb])
    print(f"wrote {a.count} scenes to {a.out}")


if __name__ == "__main__":
    main()
