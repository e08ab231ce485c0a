"""Synthetic licence-plate rendering shared by the trainer and the benchmark set.

Everything is driven by a numpy Generator so a seed reproduces a data set exactly.
Plates are drawn flat (text, blue EU band, border, optional emblem), then warped
by a random homography, degraded (blur, noise, lighting, dirt, JPEG) and either
cut into character crops (training) or pasted into a scene (benchmark / tests).
"""
import io
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONSONANTS = "BCDFGHJKLMNPRSTVWXYZ"
ALPHABET = DIGITS + LETTERS  # class order used by the Swift classifier; class 36 = reject
REJECT = len(ALPHABET)

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/opendin/OSP-DIN.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "/usr/share/fonts/truetype/routed-gothic/routed-gothic-narrow.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "/usr/share/fonts/opentype/b612/B612-Bold.otf",
]


def available_fonts():
    """All plate fonts; a missing one would silently change the model, so it is an error."""
    missing = [f for f in FONT_CANDIDATES if not os.path.exists(f)]
    if missing:
        raise SystemExit(f"missing fonts {missing}: run `make ocr-fonts` (Debian font packages)")
    return list(FONT_CANDIDATES)


# ---------------------------------------------------------------- plate texts

def _pick(rng, chars, n):
    return "".join(chars[rng.integers(len(chars))] for _ in range(n))


def spanish_current(rng):
    return [_pick(rng, DIGITS, 4), _pick(rng, CONSONANTS, 3)]


def spanish_provincial(rng):
    prov = ["BI", "M", "B", "SS", "VI", "NA", "Z", "V", "SE", "MA", "C", "O", "S", "LO", "BU", "GR"]
    return [prov[rng.integers(len(prov))], _pick(rng, DIGITS, 4), _pick(rng, LETTERS, int(rng.integers(1, 3)))]


def european(rng):
    """Groups of a random European-looking layout (never used to tune to a data set)."""
    k = rng.integers(9)
    if k == 0:  # LL NNN LL
        return [_pick(rng, LETTERS, 2), _pick(rng, DIGITS, 3) + _pick(rng, LETTERS, 2)]
    if k == 1:  # L LL NNNN
        return [_pick(rng, LETTERS, int(rng.integers(1, 4))), _pick(rng, LETTERS, int(rng.integers(1, 3))), _pick(rng, DIGITS, int(rng.integers(1, 5)))]
    if k == 2:  # LL NNNNN
        return [_pick(rng, LETTERS, 2), _pick(rng, DIGITS + LETTERS, 5)]
    if k == 3:  # LL NNNN-LL
        return [_pick(rng, LETTERS, 2), _pick(rng, DIGITS, int(rng.integers(3, 5))), _pick(rng, LETTERS, 2)]
    if k == 4:  # LLNN LLL
        return [_pick(rng, LETTERS, 2) + _pick(rng, DIGITS, 2), _pick(rng, LETTERS, 3)]
    if k == 5:  # LL-NNN-LL
        return [_pick(rng, LETTERS, 2), _pick(rng, DIGITS, 3), _pick(rng, LETTERS, 2)]
    if k == 6:  # NLL NNNN
        return [_pick(rng, DIGITS, 1) + _pick(rng, LETTERS, 2), _pick(rng, DIGITS, 4)]
    if k == 7:
        return [_pick(rng, DIGITS + LETTERS, int(rng.integers(4, 9)))]
    return [_pick(rng, LETTERS, 3), _pick(rng, DIGITS, 3)]


def random_text(rng, spanish_share=0.5):
    r = rng.random()
    if r < spanish_share * 0.75:
        return spanish_current(rng), "E"
    if r < spanish_share:
        return spanish_provincial(rng), "E"
    return european(rng), ["D", "SK", "PL", "HR", "F", "I", "NL", "CZ", "A", "GB"][rng.integers(10)]


# ---------------------------------------------------------------- flat plate

_GLYPHS = {}


DRAWN = "MWNHV"
# Height (from the top, in glyph heights) of W's middle apex; member 3 also draws
# the full-height apex of DIN 1451 and FE-Schrift (train_ocr.py --w-apex).
W_APEX = (0.2, 0.55)


def drawn_glyph(rng, c, width=(0.62, 0.8)):
    """Stroke-drawn glyphs in the style of plate fonts (DIN 1451, FE-Schrift), whose
    M and W differ from every packaged font: M's V stops near mid-height, W's middle
    apex is low. Drawn at 130 px, like `glyph`. `width` in glyph heights: the Spanish
    regulation typeface squeezes M and W into the 45 x 77 mm cell of every glyph."""
    h = 130
    w = int(h * rng.uniform(*width))
    t = int(h * rng.uniform(0.11, 0.17))
    im = Image.new("L", (w + 2 * t, h + 2 * t), 0)
    d = ImageDraw.Draw(im)
    o = t
    def line(pts):
        d.line([(x + o, y + o) for x, y in pts], fill=255, width=t, joint="curve")
    if c == "M":
        depth = h * rng.uniform(0.45, 0.8)
        line([(t / 2, h), (t / 2, 0)])
        line([(w - t / 2, h), (w - t / 2, 0)])
        line([(t / 2, 0), (w / 2, depth), (w - t / 2, 0)])
    elif c == "W":
        apex = h * rng.uniform(*W_APEX)
        line([(0, 0), (w * 0.25, h), (w / 2, apex), (w * 0.75, h), (w, 0)])
    elif c == "N":
        line([(t / 2, h), (t / 2, 0), (w - t / 2, h), (w - t / 2, 0)])
    elif c == "H":
        line([(t / 2, h), (t / 2, 0)])
        line([(w - t / 2, h), (w - t / 2, 0)])
        line([(t / 2, h / 2), (w - t / 2, h / 2)])
    elif c == "V":
        line([(0, 0), (w / 2, h), (w, 0)])
    a = np.asarray(im)
    ys, xs = np.nonzero(a > 80)
    return im.crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))


def glyph(font_path, c):
    """Ink-cropped glyph rendered once per font at 96 px (cached)."""
    key = (font_path, c)
    if key not in _GLYPHS:
        font = ImageFont.truetype(font_path, 130)
        im = Image.new("L", (300, 300), 0)
        ImageDraw.Draw(im).text((50, 50), c, font=font, fill=255)
        a = np.asarray(im)
        ys, xs = np.nonzero(a > 80)
        _GLYPHS[key] = im.crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    return _GLYPHS[key]


def render_plate(rng, groups, country, font_path, char_px=None, gap_range=(0.35, 0.8), spanish_style=False, extras=False):
    """Draw a flat plate; returns (gray image float32 0..255, list of (char, box)).

    box = (x0, y0, x1, y1) ink box in plate pixels. gap_range: space between groups,
    in character heights. spanish_style: the regulation layout of Spanish plates
    (every glyph in a cell about 0.58 heights wide, so M and W are as narrow as the
    others; the E band always there). extras: screws in the gap or at the ends. Both
    default off, so the random stream, and every set rendered before, stay as they were.
    """
    char_px = char_px or int(rng.integers(40, 70))
    h_target = char_px
    cell = h_target * rng.uniform(0.54, 0.62) if spanish_style else None
    glyphs = []
    for g in groups:
        for c in g:
            if spanish_style and c in "MW" and rng.random() < 0.8:
                glyphs.append((c, drawn_glyph(rng, c, width=(0.5, 0.6))))
                continue
            drawn = c in DRAWN and rng.random() < 0.5
            glyphs.append((c, drawn_glyph(rng, c) if drawn else glyph(font_path, c)))
        glyphs.append((" ", None))
    glyphs.pop()
    spacing = int(char_px * (rng.uniform(0.05, 0.12) if spanish_style else rng.uniform(0.08, 0.2)))
    gap = int(char_px * rng.uniform(*gap_range))
    scaled = []
    for c, im in glyphs:
        if im is None:
            scaled.append((c, None, 0))
            continue
        w = max(1, int(round(im.width * h_target / im.height * rng.uniform(0.95, 1.05))))
        adv = w
        if spanish_style:
            w = min(w, int(cell * rng.uniform(0.96, 1.0)))
            adv = max(w, int(cell))
        scaled.append((c, im.resize((w, h_target), Image.BILINEAR), adv))
    band = country is not None and (spanish_style or rng.random() < 0.8)
    band_w = (int(char_px * rng.uniform(0.5, 0.6)) if spanish_style else int(char_px * 0.55)) if band else 0
    margin_x = int(char_px * rng.uniform(0.25, 0.5))
    margin_y = int(char_px * rng.uniform(0.18, 0.3))
    text_w = sum((adv + spacing) if im is not None else gap for _, im, adv in scaled) - spacing
    W = band_w + 2 * margin_x + text_w
    H = h_target + 2 * margin_y
    yellow = rng.random() < 0.12
    bg = float(rng.uniform(200, 250)) if not yellow else float(rng.uniform(170, 215))
    fg = float(rng.uniform(5, 50))
    plate = Image.new("L", (W, H), int(bg))
    d = ImageDraw.Draw(plate)
    if rng.random() < 0.8:
        bw = max(1, int(char_px * rng.uniform(0.03, 0.07)))
        d.rectangle((0, 0, W - 1, H - 1), outline=int(fg), width=bw)
    if band:
        band_gray = int(rng.uniform(40, 100))  # EU blue seen in gray
        d.rectangle((0, 0, band_w, H - 1), fill=band_gray)
        sf = ImageFont.truetype(font_path, max(6, int(char_px * 0.35)))
        d.text((band_w * 0.15, H * 0.6), country, font=sf, fill=230)
        # ring of stars
        for k in range(12):
            a = 2 * np.pi * k / 12
            cx, cy = band_w / 2 + np.cos(a) * band_w * 0.28, H * 0.3 + np.sin(a) * band_w * 0.28
            d.ellipse((cx - 1, cy - 1, cx + 1, cy + 1), fill=220)
    boxes = []
    x = band_w + margin_x
    emblem_drawn = False
    gaps = []
    for i, (c, im, adv) in enumerate(scaled):
        if im is None:
            gaps.append(x + gap / 2)
            if not emblem_drawn and rng.random() < 0.2:  # a small coat of arms between groups
                ew = int(gap * 0.6)
                ex = x + (gap - ew) // 2
                d.rectangle((ex, margin_y + h_target * 0.2, ex + ew, margin_y + h_target * 0.7), fill=int(rng.uniform(60, 160)))
                emblem_drawn = True
            elif rng.random() < 0.3 and not spanish_style:
                hy = margin_y + h_target // 2
                d.rectangle((x + gap * 0.3, hy - char_px * 0.04, x + gap * 0.7, hy + char_px * 0.04), fill=int(fg))
            x += gap
            continue
        y = margin_y + int(rng.integers(-1, 2))
        gx = x + (adv - im.width) // 2
        plate.paste(int(fg), (gx, y, gx + im.width, y + im.height), im)
        boxes.append((c, (gx, y, gx + im.width, y + im.height)))
        x += adv + spacing
    # screws: in the gap between the groups, or near the ends, dark or shiny
    if extras and rng.random() < (0.45 if spanish_style else 0.25):
        r = char_px * rng.uniform(0.04, 0.08)
        shade = int(rng.uniform(60, 200))
        if gaps and gap > 3 * r and rng.random() < 0.6:
            spots = [(gaps[0], H * rng.uniform(0.3, 0.7))]
        else:
            spots = [(band_w + margin_x * 0.5, H / 2), (W - margin_x * 0.5, H / 2)]
        for sx, sy in spots:
            d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=shade, outline=int(fg))
    # stroke weight varies between fonts, dies and wear: thicken or thin the ink
    r = rng.random()
    if r < 0.25:
        plate = plate.filter(ImageFilter.MinFilter(3 if char_px < 55 else 5))
    elif r < 0.4:
        plate = plate.filter(ImageFilter.MaxFilter(3))
    arr = np.asarray(plate, dtype=np.float32)
    return arr, boxes


def surround(rng, flat, boxes, fonts):
    """A frame or dealer surround around a flat plate: a band of plastic, often with
    small lettering, that real photos show and a crop around the row may include."""
    ph, pw = flat.shape
    char_h = boxes[0][1][3] - boxes[0][1][1]
    t = int(char_h * rng.uniform(0.1, 0.45))
    b = int(char_h * rng.uniform(0.1, 0.7))
    side = int(char_h * rng.uniform(0.05, 0.3))
    out = Image.new("L", (pw + 2 * side, ph + t + b), int(rng.uniform(10, 120) if rng.random() < 0.7 else rng.uniform(150, 240)))
    out.paste(Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8)), (side, t))
    if b > char_h * 0.25 and rng.random() < 0.6:  # dealer name under the plate
        f = ImageFont.truetype(fonts[rng.integers(len(fonts))], max(5, int(b * 0.6)))
        name = "".join(LETTERS[rng.integers(26)] for _ in range(int(rng.integers(5, 14))))
        ImageDraw.Draw(out).text((side + pw * rng.uniform(0.1, 0.4), t + ph + b * 0.1), name, font=f, fill=int(rng.uniform(150, 255)))
    boxes = [(c, (x0 + side, y0 + t, x1 + side, y1 + t)) for c, (x0, y0, x1, y1) in boxes]
    return np.asarray(out, dtype=np.float32), boxes


# ---------------------------------------------------------------- geometry

def homography(src, dst):
    A = []
    for (x, y), (u, v) in zip(src, dst):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    b = np.array(dst, dtype=np.float64).reshape(-1)
    h = np.linalg.solve(np.array(A, dtype=np.float64), b)
    return np.append(h, 1).reshape(3, 3)


def apply_h(Hm, pts):
    p = np.c_[np.asarray(pts, dtype=np.float64), np.ones(len(pts))] @ Hm.T
    return p[:, :2] / p[:, 2:3]


def warp(img, Hm, out_w, out_h, fill):
    """Warp a float image by homography Hm (plate -> output) with bilinear sampling (PIL)."""
    inv = np.linalg.inv(Hm)
    inv = inv / inv[2, 2]
    coeffs = tuple(inv.ravel()[:8])
    src = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    out = src.transform((out_w, out_h), Image.PERSPECTIVE, coeffs, Image.BILINEAR)
    mask = Image.new("L", src.size, 255).transform((out_w, out_h), Image.PERSPECTIVE, coeffs, Image.BILINEAR)
    m = np.asarray(mask, dtype=np.float32) / 255.0
    o = np.asarray(out, dtype=np.float32)
    return (o * m + fill * (1 - m)).astype(np.float32), m > 0.5


def bilinear(img, sx, sy):
    h, w = img.shape
    valid = (sx > -0.5) & (sy > -0.5) & (sx < w - 0.5) & (sy < h - 0.5)
    sx = np.clip(sx, 0, w - 1.001)
    sy = np.clip(sy, 0, h - 1.001)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    fx = sx - x0
    fy = sy - y0
    a = img[y0, x0]
    b = img[y0, x0 + 1]
    c = img[y0 + 1, x0]
    d = img[y0 + 1, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy, valid


def random_quad(rng, w, h, scale, max_rot_deg=8, persp=0.12):
    """Destination corners of a plate w x h scaled by `scale`, rotated and in perspective."""
    ang = np.deg2rad(rng.uniform(-max_rot_deg, max_rot_deg))
    sw, sh = w * scale, h * scale
    corners = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], dtype=np.float64)
    # perspective: shrink one side
    k = rng.uniform(-persp, persp)
    corners[1, 1] += sh * k / 2 if k > 0 else 0
    corners[2, 1] -= sh * k / 2 if k > 0 else 0
    corners[0, 1] -= sh * k / 2 if k < 0 else 0
    corners[3, 1] += sh * k / 2 if k < 0 else 0
    shear = rng.uniform(-0.12, 0.12) * sh
    corners[0, 0] += shear
    corners[1, 0] += shear
    corners += rng.normal(0, sh * 0.02, corners.shape)
    c, s = np.cos(ang), np.sin(ang)
    R = np.array([[c, -s], [s, c]])
    ctr = corners.mean(0)
    return (corners - ctr) @ R.T


# ---------------------------------------------------------------- degradation

def degrade(rng, img, strength=1.0, extras=False):
    """extras: also night IR grey and motion blur (off: the random stream of older sets)."""
    h, w = img.shape
    # lighting: gradient + shadow band
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 1 + strength * (rng.uniform(-0.3, 0.3) * xx / max(w, 1) + rng.uniform(-0.3, 0.3) * yy / max(h, 1))
    img = img * g
    if rng.random() < 0.3 * strength:
        x0 = rng.uniform(0, w)
        ang = rng.uniform(-1, 1)
        mask = (xx - x0 - ang * yy) > 0
        img = np.where(mask, img * rng.uniform(0.35, 0.8), img)
    gain = rng.uniform(0.5, 1.2)
    bias = rng.uniform(-30, 40)
    img = img * gain + bias
    # dirt spots
    if rng.random() < 0.3 * strength:
        for _ in range(int(rng.integers(1, 8))):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, max(2, h * 0.05))
            m = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            img = np.where(m, img * rng.uniform(0.5, 0.9), img)
    if extras and rng.random() < 0.15 * strength:  # night IR: grey, hard contrast around the plate's level
        mid = float(np.median(img))
        img = (img - mid) * rng.uniform(1.4, 2.5) + mid + rng.uniform(0, 40)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.7:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.3) * strength))
    if extras and rng.random() < 0.25 * strength:  # motion blur along the road
        n = int(rng.integers(2, 6))
        k = np.zeros((n, n), np.float32)
        if rng.random() < 0.7:
            k[n // 2, :] = 1
        else:
            k[:, n // 2] = 1
        a = np.asarray(im, dtype=np.float32)
        acc = np.zeros_like(a)
        for dy, dx in zip(*np.nonzero(k)):
            acc += np.roll(np.roll(a, dy - n // 2, 0), dx - n // 2, 1)
        im = Image.fromarray(np.clip(acc / k.sum(), 0, 255).astype(np.uint8))
    arr = np.asarray(im, dtype=np.float32)
    arr = arr + rng.normal(0, rng.uniform(0, 9) * strength, arr.shape)
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if rng.random() < 0.7:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=int(rng.integers(25, 92)))
        im = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    return np.asarray(im, dtype=np.float32)


# ---------------------------------------------------------------- crops (must match Swift CharacterClassifier)

CROP_W, CROP_H = 20, 32


def crop_char(img, box):
    """Sample the normalised classifier input for a character box (x0, y0, x1, y1).

    Window: height 1.2 * box height, width max(0.75 * window height, 1.1 * box width),
    centred on the box; 20 x 32 bilinear samples; then zero mean, unit variance.
    Kept identical to CharacterClassifier.sample in Swift.
    """
    x0, y0, x1, y1 = box
    bh = y1 - y0
    bw = x1 - x0
    wh = bh * 1.2
    ww = max(wh * 0.75, bw * 1.1)
    cx = (x0 + x1) / 2
    cy = (y0 + y1) / 2
    xs = cx - ww / 2 + (np.arange(CROP_W) + 0.5) * ww / CROP_W - 0.5
    ys = cy - wh / 2 + (np.arange(CROP_H) + 0.5) * wh / CROP_H - 0.5
    gx, gy = np.meshgrid(xs, ys)
    v, _ = bilinear(img, gx.ravel(), gy.ravel())
    v = v.astype(np.float32)
    m = v.mean()
    s = v.std()
    return ((v - m) / (s + 8.0)).astype(np.float32)


# ---------------------------------------------------------------- two-line (square) plates

def two_line_text(rng):
    """Lines (each a list of groups) and country of a two-line plate, as three real square
    layouts print them:

    - Spanish motorcycle plate (220 x 160 mm) and the square car plate ("ordinaria alta",
      340 x 220 mm): the four digits on the top line, the three consonants below, the
      blue EU band with `E` down the whole left edge; read as the current `NNNNLLL`.
    - French square plate: `AB-` on the top line (EU band with `F` to its left, the
      department band to its right), `123-CD` below; read `AB123CD`.
    - British square plate: `AB12` over `CDE` (yellow at the rear), mostly without a band.
    """
    r = rng.random()
    if r < 0.6:
        return [[_pick(rng, DIGITS, 4)], [_pick(rng, CONSONANTS, 3)]], "E", "spanish"
    if r < 0.8:
        return [[_pick(rng, LETTERS, 2)], [_pick(rng, DIGITS, 3), _pick(rng, LETTERS, 2)]], "F", "french"
    return [[_pick(rng, LETTERS, 2) + _pick(rng, DIGITS, 2)], [_pick(rng, LETTERS, 3)]], "GB", "british"


def render_two_line_plate(rng, lines, country, style, font_path, extras=True):
    """Draw a flat two-line plate; returns (gray image float32 0..255, list of (char, box)),
    the top line's characters first. Only for the two-line sets (its own random draws:
    no single-line set changes). Spanish glyphs take the regulation cell (narrow M and W,
    as `render_plate(spanish_style=True)`); the line gap is 0.12-0.35 character heights."""
    char_px = int(rng.integers(40, 70))
    spanish = style == "spanish"
    cell = char_px * rng.uniform(0.54, 0.62) if spanish else None
    spacing = int(char_px * (rng.uniform(0.05, 0.12) if spanish else rng.uniform(0.08, 0.2)))
    gap = int(char_px * rng.uniform(0.3, 0.6))
    laid = []  # per line: [(char or None for a gap, image, advance)]
    for groups in lines:
        items = []
        for gi, g in enumerate(groups):
            if gi:
                items.append((None, None, gap))
            for c in g:
                if spanish and c in "MW" and rng.random() < 0.8:
                    im = drawn_glyph(rng, c, width=(0.5, 0.6))
                elif c in DRAWN and rng.random() < 0.5:
                    im = drawn_glyph(rng, c)
                else:
                    im = glyph(font_path, c)
                w = max(1, int(round(im.width * char_px / im.height * rng.uniform(0.95, 1.05))))
                adv = w
                if spanish:
                    w = min(w, int(cell * rng.uniform(0.96, 1.0)))
                    adv = max(w, int(cell))
                items.append((c, im.resize((w, char_px), Image.BILINEAR), adv))
        laid.append(items)

    def line_width(items):
        total, prev_char = 0, False
        for c, _, adv in items:
            if c is None:
                total += adv
                prev_char = False
            else:
                total += (spacing if prev_char else 0) + adv
                prev_char = True
        return total

    widths = [line_width(items) for items in laid]
    line_gap = int(char_px * rng.uniform(0.12, 0.35))
    margin_x = int(char_px * rng.uniform(0.2, 0.45))
    margin_y = int(char_px * rng.uniform(0.12, 0.25))
    band_w = int(char_px * rng.uniform(0.45, 0.6))
    # where the EU band stands: down the whole left edge (Spain, older British plates),
    # beside the top line only (France), or nowhere (most British plates)
    band = "full" if spanish else ("top" if style == "french" else ("full" if rng.random() < 0.3 else None))
    right_band = style == "french"
    left = band_w if band == "full" else 0
    text_w = max(widths)
    W = left + 2 * margin_x + text_w + (band_w if band == "top" else 0) + (band_w if right_band else 0)
    H = 2 * char_px + line_gap + 2 * margin_y
    yellow = rng.random() < (0.5 if style == "british" else 0.08)
    bg = float(rng.uniform(200, 250)) if not yellow else float(rng.uniform(170, 215))
    fg = float(rng.uniform(5, 50))
    plate = Image.new("L", (W, H), int(bg))
    d = ImageDraw.Draw(plate)
    if rng.random() < 0.8:
        bw = max(1, int(char_px * rng.uniform(0.03, 0.07)))
        d.rectangle((0, 0, W - 1, H - 1), outline=int(fg), width=bw)

    def eu_band(x0, y0, x1, y1, label):
        d.rectangle((x0, y0, x1, y1), fill=int(rng.uniform(40, 100)))  # EU blue seen in grey
        bw_ = x1 - x0
        sf = ImageFont.truetype(font_path, max(6, int(char_px * 0.35)))
        d.text((x0 + bw_ * 0.15, y0 + (y1 - y0) * 0.6), label, font=sf, fill=230)
        for k in range(12):
            a = 2 * np.pi * k / 12
            cx = x0 + bw_ / 2 + np.cos(a) * bw_ * 0.28
            cy = y0 + (y1 - y0) * 0.3 + np.sin(a) * bw_ * 0.28
            d.ellipse((cx - 1, cy - 1, cx + 1, cy + 1), fill=220)

    if band == "full":
        eu_band(0, 0, band_w, H - 1, country)
    boxes = []
    for li, items in enumerate(laid):
        y_line = margin_y + li * (char_px + line_gap)
        x = left + margin_x + (text_w - widths[li]) // 2
        if band == "top" and li == 0:  # the top half of the plate, as on French square plates
            eu_band(x, margin_y // 2, x + band_w, y_line + char_px + line_gap // 2, country)
            x += band_w + margin_x // 2
        prev_char = False
        for c, im, adv in items:
            if c is None:
                hy = y_line + char_px // 2
                if style == "french":  # the hyphen between the digits and the letters
                    d.rectangle((x + adv * 0.3, hy - char_px * 0.04, x + adv * 0.7, hy + char_px * 0.04), fill=int(fg))
                x += adv
                prev_char = False
                continue
            if prev_char:
                x += spacing
            y = y_line + int(rng.integers(-1, 2))
            gx = x + (adv - im.width) // 2
            plate.paste(int(fg), (gx, y, gx + im.width, y + im.height), im)
            boxes.append((c, (gx, y, gx + im.width, y + im.height)))
            x += adv
            prev_char = True
        if style == "french" and li == 0:  # hyphen after the top line's letters, then the department band
            hy = y_line + char_px // 2
            d.rectangle((x + spacing, hy - char_px * 0.04, x + spacing + gap * 0.4, hy + char_px * 0.04), fill=int(fg))
    if right_band:
        rx = W - band_w - margin_x // 2
        d.rectangle((rx, margin_y // 2, rx + band_w, margin_y + char_px + line_gap // 2), fill=int(rng.uniform(40, 100)))
        sf = ImageFont.truetype(font_path, max(6, int(char_px * 0.35)))
        d.text((rx + band_w * 0.1, margin_y + char_px * 0.55), f"{int(rng.integers(1, 96)):02d}", font=sf, fill=230)
    if extras and rng.random() < 0.4:  # screws: between the lines near the ends, or at the top corners
        r = char_px * rng.uniform(0.04, 0.08)
        shade = int(rng.uniform(60, 200))
        sy = margin_y + char_px + line_gap / 2 if rng.random() < 0.5 else margin_y * 0.5
        for sx in (left + margin_x * 0.5, W - margin_x * 0.5):
            d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=shade, outline=int(fg))
    r = rng.random()
    if r < 0.25:
        plate = plate.filter(ImageFilter.MinFilter(3 if char_px < 55 else 5))
    elif r < 0.4:
        plate = plate.filter(ImageFilter.MaxFilter(3))
    return np.asarray(plate, dtype=np.float32), boxes
