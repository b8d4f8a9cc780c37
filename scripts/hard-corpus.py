#!/usr/bin/python3
"""Generate a deterministic synthetic "hard corpus" of barcode photos for comparing decoders.

Run with Debian's Python (it needs python3-numpy and python3-pil from apt, plus the zint and
qrencode command-line tools):

    /usr/bin/python3 scripts/hard-corpus.py OUTDIR [--count N] [--seed S] [--jobs J]

See --help for what is written. The same seed always gives the same images on the same machine
(each image draws from its own numpy Generator seeded with (seed, index), so the number of worker
processes does not change the output).
"""

import argparse
import csv
import math
import os
import re
import subprocess
import sys
import time

# Keep numpy single-threaded: the parallelism is one image per worker process.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
except ImportError as error:  # pragma: no cover - environment problem
    sys.exit(
        f"hard-corpus: {error}. Run it with Debian's /usr/bin/python3 and install the packages:\n"
        "    apt-get install -y python3-numpy python3-pil"
    )

HELP_EPILOG = """\
what it writes into OUTDIR:
  NNNN-<distortion>-<level>-<symbology>.png|.jpg   one code on an invoice-like page per image
  manifest.csv   file,symbology,payload,distortion  (payload: exactly the text encoded; CSV-quoted,
                 UTF-8). distortion is "<name>/<level>" (level easy|medium|hard), "clean", or two of
                 them joined by "+", e.g. "blur/hard+jpeg/easy"; the first one is the primary one
                 that the comparison groups by.
  params.csv     file,width,height,module_px,format,params: the exact parameters drawn per image.

classes (the manifest's symbology column):
  qr            QR: invoice numbers, UPI URIs, GST strings, Devanagari/Tamil/Bengali UTF-8 (qrencode)
  qr-sjis       QR in Shift JIS (Kanji mode), no ECI: Japanese invoices (zint's default for such text)
  qr-latin1     QR in ISO-8859-1, no ECI: German, Spanish, Danish, French text (zint's default)
  qr-eci        QR with a declared ECI: 3 (ISO-8859-1), 4 (8859-2), 7 (8859-5), 9 (8859-7), 20 (Shift
                JIS), 26 (UTF-8); the payload is the text, whatever the bytes
  code128, code39, code93, i25 (even length), databar (the payload as zbar reports it: "01" + the
                14-digit GTIN)
  ean13         valid check digit; ean13-addon5, ean13-addon2: with an add-on (payload: the 13 digits
                then the add-on's, as zbar's composite and the leading decoders report it)
  upca, upca-addon2 (12 digits, then the add-on's), upce (8 digits: number system, six, check)
  none          a page with no code: nothing, table shading, a ruled grid or a row of digits where the
                code would be (every symbol read there is a false positive)

distortions, each graded easy/medium/hard:
  clean         control group (only mild paper texture and camera JPEG)
  blur          gaussian blur, sigma scaled to the module size (smaller for QR)
  perspective   the page seen from a tilted camera (keystone; medium/hard also roll 6..14 deg)
  noise         additive gaussian + grain noise (much weaker for 1D codes, which zbar's
                scanner finds far more noise sensitive than QR)
  lowlight      dark, low contrast, sensor noise
  illumination  easy: gradient or vignette; medium/hard: a shadow edge or a glare spot on the code
  jpeg          saved as .jpg with quality 8..30, modules shrinking with the level
  small         tiny modules: QR module ~1.2..2.3 px, 1D narrow bar ~1..1.5 px
  rotation      the page turned: easy 3..12, medium 15..30, hard 30..70 degrees off an axis
  inverted      light code on a dark background (phone screen / dark label)
  torn          easy: a scratch and a small bite; medium: a bite off one end and a crease; hard: a
                diagonal tear across the label and ink smudges (QR: a corner bitten off, larger by level)
  skew          the label stuck on askew (sheared 8..35 deg) and, medium/hard, wrapped round a bottle
  screen        shot off a phone or monitor: the screen's pixel grid (moire), reflections, softness
  worn          bars printed wider (ink gain) or narrower (worn) than the spaces by 0.15..0.5 module,
                and motion blur of 0.4..1.4 modules
About a third of the non-clean images get a second, easy distortion.

Images are 640x480 .. 1600x1200 (some portrait), grayscale or RGB PNG, or JPEG. Existing files in
OUTDIR named like NNNN-*.png/.jpg are removed first; nothing else there is touched.
Needs: /usr/bin/python3 with python3-numpy, python3-pil; zint; qrencode; fonts-dejavu-core is used
for the page text when present (without it the text is drawn as blocks, so images differ).
"""

SYMBOLOGY_WEIGHTS = [
    ("qr", 0.24),
    ("qr-sjis", 0.06),
    ("qr-latin1", 0.04),
    ("qr-eci", 0.06),
    ("code128", 0.10),
    ("ean13", 0.06),
    ("ean13-addon5", 0.05),
    ("ean13-addon2", 0.03),
    ("upca", 0.04),
    ("upca-addon2", 0.03),
    ("upce", 0.03),
    ("code39", 0.06),
    ("i25", 0.06),
    ("code93", 0.03),
    ("databar", 0.03),
    ("none", 0.08),
]
ZINT_NAMES = {"code128": "CODE128", "code39": "CODE39", "ean13": "EANX", "i25": "C25INTER",
              "code93": "CODE93", "databar": "DBAR_OMN", "ean13-addon5": "EANX", "ean13-addon2": "EANX",
              "upca": "UPCA", "upca-addon2": "UPCA", "upce": "UPCE"}
# Modules in the main code of the EAN/UPC family (what comes after them in zint's row is the add-on).
MAIN_MODULES = {"ean13": 95, "ean13-addon5": 95, "ean13-addon2": 95, "upca": 95, "upca-addon2": 95, "upce": 51}
QR_CLASSES = ("qr", "qr-sjis", "qr-latin1", "qr-eci")
DISTORTIONS = ["clean", "blur", "perspective", "noise", "lowlight", "illumination", "jpeg", "small",
               "rotation", "inverted", "torn", "skew", "screen", "worn"]
LEVELS = ["easy", "medium", "hard"]
SECONDARY = ["blur", "noise", "jpeg", "rotation", "perspective", "illumination"]
CANVASES = [(640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200)]
FONT_DIR = "/usr/share/fonts/truetype/dejavu"

# ----------------------------------------------------------------------------------------------
# Payloads


def check_digit(digits):
    """GS1 mod-10 check digit for a string of digits (EAN-13 data, GTIN-13 for DataBar)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def indian_amount(rupees, paise):
    """1234567, 50 -> '12,34,567.50' (Indian digit grouping)."""
    s = str(rupees)
    if len(s) > 3:
        head, tail = s[:-3], s[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        s = ",".join(groups + [tail])
    return f"{s}.{paise:02d}"


NAMES = ["Acme Traders", "Sharma General Stores", "Shree Ganesh Kirana", "Patel Hardware",
         "Lakshmi Textiles", "Sri Balaji Agencies", "Noor Medicals", "Kaveri Distributors"]
BANKS = ["okhdfc", "okhdfcbank", "oksbi", "okicici", "ybl", "paytm", "axl", "ibl"]
UTF8_TEMPLATES = ["बिल {n} ₹{amt}", "चालान क्र. {n} कुल ₹{amt}", "பில் {n} ₹{amt}",
                  "বিল নং {n} মোট ₹{amt}", "ಬಿಲ್ {n} ₹{amt}", "Invoice {n} – ₹{amt} (GST 18%)",
                  "बीजक {n}/२०२६ ₹{amt}"]


SJIS_TEMPLATES = ["請求書 No.{n} 合計 {amt}円", "納品書 {n} 株式会社サクラ商事", "お支払い期限 {d}日 請求番号{n}",
                  "ｲﾝﾎﾞｲｽ {n} ｺﾞｳｹｲ {amt}", "領収書 第{n}号 金額 {amt}円 ありがとうございました"]
LATIN1_TEMPLATES = ["Müller & Söhne GmbH, Rechnung {n}, Betrag {amt} EUR", "Señor Núñez, factura nº {n}",
                    "Ærø Købmand ApS faktura {n} – kr {amt}", "Facture n° {n} à régler: {amt} €",
                    "Café Crème Zürich Quittung {n}"]
# (ECI, the text): declared character sets zbar honours.
ECI_TEMPLATES = [(3, "Straße {n} Überweisung {amt}"), (4, "Zażółć gęślą jaźń — faktura {n}"),
                 (7, "Счёт № {n} на сумму {amt} руб."), (9, "Τιμολόγιο {n} ποσό {amt}"),
                 (20, "請求書 {n} 金額 {amt}円"), (26, "बिल {n} ₹{amt} बकाया"), (26, "பில் {n} ₹{amt}")]


def upce_payload(rng):
    """An 8-digit UPC-E (number system 0, six digits, check digit of the expanded UPC-A) and zint's input."""
    d = [int(x) for x in rng.integers(0, 10, 6)]
    # Only the zero-suppression forms zint accepts without further conditions: last digit 0-2, or 5-9
    # after a non-zero fifth digit.
    if rng.random() < 0.5:
        d[5] = int(rng.integers(0, 3))
    else:
        d[4], d[5] = int(rng.integers(1, 10)), int(rng.integers(5, 10))
    if d[5] <= 2:
        upca = [0, d[0], d[1], d[5], 0, 0, 0, 0, d[2], d[3], d[4]]
    elif d[5] == 3:
        upca = [0, d[0], d[1], d[2], 0, 0, 0, 0, 0, d[3], d[4]]
    elif d[5] == 4:
        upca = [0, d[0], d[1], d[2], d[3], 0, 0, 0, 0, 0, d[4]]
    else:
        upca = [0, d[0], d[1], d[2], d[3], d[4], 0, 0, 0, 0, d[5]]
    body = "0" + "".join(map(str, d))
    return body + check_digit("".join(map(str, upca)))


def make_payload(symbology, rng):
    n = int(rng.integers(1, 999999))
    year = int(rng.integers(2024, 2028))
    rupees = int(rng.choice([rng.integers(10, 999), rng.integers(1000, 99999), rng.integers(100000, 250000)]))
    paise = int(rng.choice([0, 0, 50, int(rng.integers(1, 99))]))
    if symbology == "qr":
        kind = rng.choice(["invoice", "upi", "utf8", "gst"], p=[0.28, 0.37, 0.20, 0.15])
        if kind == "invoice":
            return f"INV/{year}-{(year + 1) % 100:02d}/{n:06d}"
        if kind == "upi":
            name = NAMES[int(rng.integers(len(NAMES)))]
            handle = re.sub(r"[^a-z]", "", name.split()[0].lower()) + str(rng.choice(["", ".", "-"]))
            handle = handle.rstrip(".-") + ("" if rng.random() < 0.5 else str(int(rng.integers(1, 99))))
            uri = (f"upi://pay?pa={handle}@{BANKS[int(rng.integers(len(BANKS)))]}&pn={name.replace(' ', '%20')}"
                   f"&am={rupees}.{paise:02d}&cu=INR&tr=INV{n:06d}")
            if rng.random() < 0.4:
                uri += f"&tn=Invoice%20INV{n:06d}"
            return uri
        if kind == "utf8":
            template = UTF8_TEMPLATES[int(rng.integers(len(UTF8_TEMPLATES)))]
            return template.format(n=n % 100000, amt=indian_amount(rupees, paise))
        state = int(rng.integers(1, 37))
        return (f"GSTIN:{state:02d}AAACA{int(rng.integers(1000, 9999))}F1Z5|INV:INV/{year}-{(year + 1) % 100:02d}/{n:06d}"
                f"|DT:{int(rng.integers(1, 29)):02d}-{int(rng.integers(1, 13)):02d}-{year}|AMT:{rupees}.{paise:02d}"
                f"|HSN:{int(rng.integers(1000, 9999))}")
    if symbology == "qr-sjis":
        template = SJIS_TEMPLATES[int(rng.integers(len(SJIS_TEMPLATES)))]
        return template.format(n=n % 100000, amt=f"{rupees:,}", d=int(rng.integers(1, 29)))
    if symbology == "qr-latin1":
        template = LATIN1_TEMPLATES[int(rng.integers(len(LATIN1_TEMPLATES)))]
        return template.format(n=n % 100000, amt=f"{rupees}.{paise:02d}").replace("–", "-").replace("€", "EUR")
    if symbology == "qr-eci":
        eci, template = ECI_TEMPLATES[int(rng.integers(len(ECI_TEMPLATES)))]
        return template.format(n=n % 100000, amt=f"{rupees}.{paise:02d}") if eci != 4 else template.format(n=n % 100000).replace("—", "-")
    if symbology in ("ean13-addon5", "ean13-addon2"):
        data = str(int(rng.choice([890, 978, 977]))) + "".join(str(int(d)) for d in rng.integers(0, 10, 9))
        digits = 5 if symbology.endswith("5") else 2
        return data + check_digit(data) + "".join(str(int(d)) for d in rng.integers(0, 10, digits))
    if symbology in ("upca", "upca-addon2"):
        data = "".join(str(int(d)) for d in rng.integers(0, 10, 11))
        main = data + check_digit(data)
        return main + ("".join(str(int(d)) for d in rng.integers(0, 10, 2)) if symbology == "upca-addon2" else "")
    if symbology == "upce":
        return upce_payload(rng)
    if symbology == "none":
        return ""
    if symbology == "code128":
        kind = int(rng.integers(4))
        if kind == 0:
            return f"INV-{year}-{n:06d}"
        if kind == 1:
            return f"DC/{year}/{n}"
        if kind == 2:
            return f"PO{n:07d}-{chr(65 + int(rng.integers(26)))}"
        return f"acme-{n}-{str(rng.choice(['a', 'b', 'x']))}"
    if symbology == "code39":
        kind = int(rng.integers(4))
        if kind == 0:
            return f"DC{year}{n:06d}"
        if kind == 1:
            return f"INV-{n:06d}"
        if kind == 2:
            return f"LOT {chr(65 + int(rng.integers(26)))}{n % 10000}"
        return f"{n:08d}"
    if symbology == "code93":
        return f"INV{year % 100}X{n % 100000}" if rng.random() < 0.6 else f"DC-{n % 100000}"
    if symbology == "ean13":
        data = "890" + "".join(str(int(d)) for d in rng.integers(0, 10, 9))
        return data + check_digit(data)
    if symbology == "i25":
        length = int(rng.choice([10, 12, 14]))
        return "".join(str(int(d)) for d in rng.integers(0, 10, length))
    if symbology == "databar":
        data = "0890" + "".join(str(int(d)) for d in rng.integers(0, 10, 9))
        return "01" + data + check_digit(data)
    raise ValueError(symbology)


# ----------------------------------------------------------------------------------------------
# Clean code rendering: module matrices from zint / qrencode


def run_tool(args, stdin=None):
    try:
        return subprocess.run(args, input=stdin, capture_output=True, check=True).stdout
    except FileNotFoundError:
        sys.exit(f"hard-corpus: {args[0]} not found; install it (apt-get install -y zint qrencode)")
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{' '.join(args)} failed: {error.stderr.decode(errors='replace').strip()}")


def qr_modules(payload, ecc):
    text = run_tool(["qrencode", "-l", ecc, "-m", "0", "-8", "-t", "ASCII", "-o", "-"], payload.encode("utf-8"))
    rows = [line[0::2] for line in text.decode("ascii").splitlines() if line]
    return np.array([[ch == "#" for ch in row] for row in rows], dtype=np.float32)


def eci_for(payload):
    """The ECI a qr-eci payload is declared with (the template it came from)."""
    for eci, template in ECI_TEMPLATES:
        head = template.split("{")[0].replace("—", "-")
        if payload.startswith(head):
            return eci
    raise ValueError(payload)


def zint_qr_modules(payload, symbology, ecc):
    """QR modules from zint: no ECI (zint picks ISO-8859-1, else Shift JIS, as the standard's default
    allows) or the declared ECI for qr-eci."""
    args = ["zint", "-b", "QRCODE", "--dump", "--secure", str("LMQH".index(ecc) + 1), "-d", payload]
    if symbology == "qr-eci":
        args[3:3] = [f"--eci={eci_for(payload)}"]
    rows = [line.split() for line in run_tool(args).decode().strip().splitlines() if line.strip()]
    size = len(rows)
    matrix = []
    for row in rows:
        bits = [int(b) for token in row for ch in token for b in format(int(ch, 16), "04b")]
        matrix.append(bits[:size])
    return np.array(matrix, dtype=np.float32)


def linear_modules(symbology, payload):
    data = payload[2:15] if symbology == "databar" else payload  # zint takes the 13-digit GTIN body
    if symbology in ("ean13-addon5", "ean13-addon2"):
        data = payload[:13] + "+" + payload[13:]
    elif symbology == "upca-addon2":
        data = payload[:12] + "+" + payload[12:]
    elif symbology == "upce":
        data = payload[:7]
    dump = run_tool(["zint", "-b", ZINT_NAMES[symbology], "--dump", "-d", data]).decode().strip()
    row = dump.splitlines()[0]
    bits = []
    for token in row.split():
        for ch in token:
            bits.extend(int(b) for b in format(int(ch, 16), "04b"))
    bits = np.array(bits, dtype=np.float32)
    dark = np.nonzero(bits)[0]
    return bits[dark[0]:dark[-1] + 1]


def coverage(n_modules, module_px, offset):
    """Matrix (pixels x modules): how much of each output pixel each module covers (area sampling)."""
    pixels = int(math.ceil(offset + n_modules * module_px))
    p = np.arange(pixels, dtype=np.float64)[:, None]
    k = np.arange(n_modules, dtype=np.float64)[None, :]
    lo = np.maximum(p, offset + k * module_px)
    hi = np.minimum(p + 1, offset + (k + 1) * module_px)
    return np.clip(hi - lo, 0, None).astype(np.float32)


def spread_coverage(bits, module_px, offset, spread):
    """Pixel coverage of a row of modules whose bars print `spread` modules wider (ink gain) or narrower
    (negative: worn, under-inked), each bar growing or shrinking by half of it on both sides."""
    bars, start = [], None
    for i, bit in enumerate(list(bits) + [0]):
        if bit and start is None:
            start = i
        elif not bit and start is not None:
            bars.append((start - spread / 2, i + spread / 2))
            start = None
    pixels = int(math.ceil(offset + len(bits) * module_px))
    p = np.arange(pixels, dtype=np.float64)[:, None]
    lo = np.maximum(p, offset + np.array([b[0] for b in bars])[None, :] * module_px)
    hi = np.minimum(p + 1, offset + np.array([b[1] for b in bars])[None, :] * module_px)
    return np.clip(np.clip(hi - lo, 0, None).sum(axis=1), 0, 1).astype(np.float32)


def render_code(symbology, payload, module_px, rng, params):
    """Ink coverage patch (0 = paper, 1 = full ink) including the quiet zone."""
    if symbology in QR_CLASSES:
        ecc = str(rng.choice(["L", "M", "Q", "H"], p=[0.2, 0.4, 0.25, 0.15]))
        params["ecc"] = ecc
        modules = qr_modules(payload, ecc) if symbology == "qr" else zint_qr_modules(payload, symbology, ecc)
        matrix = np.pad(modules, 4)
        ay = coverage(matrix.shape[0], module_px, float(rng.random()))
        ax = coverage(matrix.shape[1], module_px, float(rng.random()))
        params["qr_modules"] = matrix.shape[0] - 8
        return ay @ matrix @ ax.T
    bits = np.pad(linear_modules(symbology, payload), 11)
    if "ink_spread" in params:
        row = spread_coverage(bits, module_px, float(rng.random()), params["ink_spread"])
    else:
        ax = coverage(bits.shape[0], module_px, float(rng.random()))
        row = ax @ bits
    ratio = float(rng.uniform(0.2, 0.4)) if symbology != "databar" else 0.33
    height = int(max(36, round(len(row) * ratio)))
    params["modules"] = int(bits.shape[0] - 22)
    patch = np.tile(row[None, :], (height, 1))
    main = MAIN_MODULES.get(symbology)
    if main is not None and bits.shape[0] - 22 > main + 2:
        # The add-on's bars start lower: its digits are printed above them.
        start = int(math.floor((11 + main + 3) * module_px))
        patch[:int(height * 0.2), start:] = 0
        params["addon"] = True
    return patch


# ----------------------------------------------------------------------------------------------
# Page: paper texture, invoice-like text clutter


def smooth_field(rng, shape, cells, amplitude):
    """Low-frequency random field: a coarse random grid upsampled bicubically."""
    h, w = shape
    grid = rng.standard_normal((cells, max(2, int(cells * w / h))), dtype=np.float32)
    image = Image.fromarray(grid, "F").resize((w, h), Image.BICUBIC)
    return np.asarray(image) * amplitude


def gaussian_blur(array, sigma):
    """Separable gaussian blur of a float image (PIL cannot blur mode F)."""
    if sigma <= 0.05:
        return array
    radius = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()
    out = array
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in range(2)], mode="edge")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for i, weight in enumerate(kernel):
            acc += weight * (padded[i:i + n, :] if axis == 0 else padded[:, i:i + n])
        out = acc
    return out


_FONTS = {}


def font(size, bold=False):
    key = (size, bold)
    if key not in _FONTS:
        path = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
        _FONTS[key] = ImageFont.truetype(path, size) if os.path.exists(path) else None
    return _FONTS[key]


HEADER_WORDS = ["TAX INVOICE", "ACME DISTRIBUTORS PVT LTD", "DELIVERY CHALLAN", "GSTIN 27AAACA1234F1Z5",
                "Invoice No: INV/2026-27/00{n}", "Date: 02/11/2026  Due: 02/12/2026", "Bill to: Sharma General Stores, Pune",
                "Total Rs 15,110.00", "Scan to pay by UPI", "Qty  Rate  Amount", "HSN 1905  CGST 9%  SGST 9%"]


def draw_page_text(ink, rng, exclude):
    """Text-like clutter on an 'L' ink image (255 = full ink), avoiding the rectangle `exclude`."""
    draw = ImageDraw.Draw(ink)
    w, h = ink.size
    ex0, ey0, ex1, ey1 = exclude

    def blocked(x0, y0, x1, y1):
        return not (x1 < ex0 or x0 > ex1 or y1 < ey0 or y0 > ey1)

    margin = int(w * rng.uniform(0.04, 0.08))
    y = int(h * rng.uniform(0.03, 0.07))
    scale = min(w, h) / 600
    line_height = max(14, int(rng.uniform(20, 30) * scale))
    # A few real text lines (header, invoice number) with the font when it is installed.
    for _ in range(int(rng.integers(2, 5))):
        size = int(max(11, rng.uniform(14, 26) * scale))
        text = HEADER_WORDS[int(rng.integers(len(HEADER_WORDS)))].format(n=int(rng.integers(1000, 9999)))
        f = font(size, bold=bool(rng.random() < 0.4))
        x = margin + int(rng.integers(0, max(1, w // 6)))
        if f is not None:
            box = draw.textbbox((x, y), text, font=f)
            if not blocked(*box) and box[2] < w - margin:
                draw.text((x, y), text, fill=int(rng.integers(190, 250)), font=f)
        y += int(size * 1.6)
    # Body: lines of block "words" made of glyph-like strokes, and table rules.
    while y < h - margin:
        if rng.random() < 0.12:
            x0, x1 = margin, w - margin
            if not blocked(x0, y, x1, y + 2):
                draw.line([(x0, y), (x1, y)], fill=int(rng.integers(120, 220)), width=max(1, int(scale)))
            y += line_height // 2
            continue
        x = margin + (0 if rng.random() < 0.7 else int(rng.integers(0, w // 3)))
        end = w - margin - (0 if rng.random() < 0.6 else int(rng.integers(0, w // 2)))
        x_height = max(4, int(rng.uniform(6, 9) * scale))
        darkness = int(rng.integers(150, 240))
        while x < end:
            word = int(rng.integers(2, 10))
            for _ in range(word):
                gw = max(2, int(rng.uniform(3, 6) * scale))
                top = y - (int(x_height * 0.6) if rng.random() < 0.25 else 0)
                bottom = y + x_height + (int(x_height * 0.4) if rng.random() < 0.1 else 0)
                if x + gw > end:
                    break
                if not blocked(x, top, x + gw, bottom):
                    stroke = max(1, int(gw * rng.uniform(0.3, 0.6)))
                    draw.rectangle([x, top, x + stroke - 1, bottom], fill=darkness)
                    if rng.random() < 0.6:
                        draw.rectangle([x, bottom - stroke + 1, x + gw - 1, bottom], fill=darkness)
                    if rng.random() < 0.4:
                        draw.rectangle([x, top, x + gw - 1, top + stroke - 1], fill=darkness)
                x += gw + max(1, int(scale))
            x += int(rng.uniform(4, 9) * scale)
        y += line_height


# ----------------------------------------------------------------------------------------------
# Distortion parameters


def u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def distortion_params(name, level, symbology, rng):
    """Parameters for one distortion at one level. Module sizes are in pixels. The ranges were
    calibrated against zbarimg 0.23.92 so that each distortion is graded easy > medium > hard."""
    two_d = symbology in QR_CLASSES
    i = LEVELS.index(level) if level in LEVELS else 0
    p = {}

    def pick(ranges_2d, ranges_1d=None):
        return u(rng, *(ranges_2d if two_d or ranges_1d is None else ranges_1d)[i])

    if name == "blur":
        # zbar's QR reader loses blurred modules much sooner than its 1D scanner loses bars.
        p["blur_rel"] = pick([(0.18, 0.26), (0.27, 0.33), (0.36, 0.48)], [(0.30, 0.42), (0.50, 0.58), (0.60, 0.68)])
    elif name == "perspective":
        p["tilt"] = pick([(0.08, 0.15), (0.36, 0.46), (0.50, 0.60)])
        p["tilt_axis"] = str(rng.choice(["x", "y", "xy"]))
        p["tilt_roll"] = [0.0, u(rng, 6, 10), u(rng, 8, 14)][i] * float(rng.choice([-1, 1]))
        p["module_px"] = pick([(3.0, 4.5), (2.6, 3.6), (2.4, 3.2)], [(2.3, 3.2), (2.0, 2.6), (1.9, 2.4)])
    elif name == "noise":
        # zbar's 1D edge detector is far more noise sensitive than its QR reader.
        p["noise_sigma"] = pick([(20, 30), (38, 48), (52, 65)], [(5, 9), (14, 20), (25, 35)])
        p["grain"] = u(rng, *[(0.0, 0.2), (0.2, 0.4), (0.4, 0.6)][i])
    elif name == "lowlight":
        p["exposure"] = u(rng, *[(0.22, 0.30), (0.13, 0.18), (0.08, 0.11)][i])
        p["contrast"] = u(rng, *[(0.55, 0.7), (0.45, 0.55), (0.38, 0.48)][i])
        p["sensor_noise"] = u(rng, *[(2.0, 3.0), (2.5, 3.5), (2.0, 3.0)][i])
    elif name == "illumination":
        # easy: a gradient or vignette over the page; medium/hard: a shadow edge or a glare spot on the code.
        p["light_kind"] = str(rng.choice(["gradient", "vignette"] if i == 0 else ["shadow", "glare"]))
        p["light_min"] = u(rng, *[(0.35, 0.55), (0.25, 0.4), (0.05, 0.10)][i])
        p["glare"] = u(rng, *[(0, 0), (0.45, 0.7), (0.9, 1.5)][i])
        p["light_span"] = "page" if i == 0 else "code"  # the gradient runs across the page or across the code
        p["sensor_noise"] = u(rng, 2.5, 3.5)
    elif name == "jpeg":
        p["jpeg_quality"] = int(rng.integers(*[(22, 31), (10, 16), (8, 11)][i]))
        # JPEG damage depends on the module size against the 8x8 blocks: smaller as the level rises.
        p["module_px"] = pick([(3.0, 4.0), (2.2, 2.8), (2.0, 2.4)], [(2.2, 2.8), (1.7, 2.1), (1.5, 1.8)])
    elif name == "small":
        p["module_px"] = pick([(2.0, 2.3), (1.7, 2.0), (1.2, 1.6)], [(1.4, 1.5), (1.25, 1.38), (1.0, 1.2)])
        p["optics_sigma"] = u(rng, 0.25, 0.4)
    elif name == "rotation":
        base = [u(rng, 3, 12), u(rng, 15, 30), u(rng, 30, 70)][i]
        p["angle"] = (base * float(rng.choice([-1, 1])) + 90 * int(rng.integers(0, 4))) % 360
        if two_d and i > 0:  # a QR seen at an angle in a wider shot: smaller modules too
            p["module_px"] = [0, u(rng, 2.6, 3.4), u(rng, 2.2, 2.8)][i]
    elif name == "worn":
        # A worn or badly printed label shot with a shaking hand: bars printed wider (ink gain) or narrower
        # (worn, under-inked) than the spaces, and motion blur along a random direction.
        p["ink_spread"] = [u(rng, 0.15, 0.25), u(rng, 0.25, 0.35), u(rng, 0.35, 0.5)][i] * float(rng.choice([-1, 1]))
        p["motion_rel"] = [u(rng, 0.4, 0.7), u(rng, 0.7, 1.0), u(rng, 1.0, 1.4)][i]
        p["module_px"] = pick([(3.0, 4.5), (2.6, 3.6), (2.4, 3.2)], [(2.0, 3.0), (1.8, 2.6), (1.6, 2.2)])
    elif name == "torn":
        # easy: a scratch and a small bite; medium: a bite off one end and a crease; hard: a diagonal tear
        # and ink smudges (QR: a corner bitten off, a larger share each level).
        p["torn"] = ["easy", "medium", "hard"][i]
    elif name == "skew":
        # A label stuck on askew or on a curved surface: sheared, and (medium/hard) wrapped round a bottle.
        p["shear"] = [u(rng, 8, 15), u(rng, 15, 25), u(rng, 25, 35)][i] * float(rng.choice([-1, 1]))
        p["curve"] = [0.0, u(rng, 0.3, 0.5), u(rng, 0.5, 0.8)][i]
    elif name == "screen":
        # A code photographed off a phone or monitor: the screen's pixel grid (moire against the camera's),
        # reflections, and (hard) a dimmed screen.
        p["screen_pitch"] = u(rng, 2.3, 3.7)
        p["screen_grid"] = [u(rng, 0.10, 0.18), u(rng, 0.2, 0.3), u(rng, 0.3, 0.42)][i]
        p["screen_glare"] = [0.0, u(rng, 0.15, 0.3), u(rng, 0.3, 0.5)][i]
        p["blur_rel"] = [u(rng, 0.1, 0.2), u(rng, 0.15, 0.25), u(rng, 0.2, 0.3)][i]
    elif name == "inverted":
        p["inverted"] = True
        if i >= 1:
            p["blur_rel"] = u(rng, 0.2, 0.35)
            p["noise_sigma"] = u(rng, 6, 12)
        if i == 2:
            p["angle"] = u(rng, -20, 20) % 360
            p["inv_contrast"] = u(rng, 0.35, 0.5)
    return p


# ----------------------------------------------------------------------------------------------
# One image


def perspective_coeffs(src_quad, dst_quad):
    """PIL PERSPECTIVE coefficients mapping output (dst) points to input (src) points."""
    rows, rhs = [], []
    for (x, y), (sx, sy) in zip(dst_quad, src_quad):
        rows.append([x, y, 1, 0, 0, 0, -sx * x, -sx * y])
        rows.append([0, 0, 0, x, y, 1, -sy * x, -sy * y])
        rhs.extend([sx, sy])
    return tuple(np.linalg.solve(np.array(rows, float), np.array(rhs, float)))


def confuser_patch(rng, params):
    """What a page without a code may show where a code would be: nothing, table shading (even stripes),
    a ruled grid, or a row of digits."""
    kind = str(rng.choice(["blank", "stripes", "grid", "digits"]))
    params["confuser"] = kind
    h, w = int(rng.integers(60, 160)), int(rng.integers(120, 360))
    patch = np.zeros((h, w), np.float32)
    if kind == "stripes":
        period = int(rng.integers(4, 12))
        patch[:, (np.arange(w) % period) < period // 2] = 0.6
    elif kind == "grid":
        step = int(rng.integers(10, 30))
        patch[::step, :] = 0.8
        patch[:, ::step] = 0.8
    elif kind == "digits":
        image = Image.new("L", (w, h), 0)
        f = font(int(h * 0.5))
        text = "".join(str(int(d)) for d in rng.integers(0, 10, 13))
        if f is not None:
            ImageDraw.Draw(image).text((2, h // 4), text, fill=230, font=f)
        patch = np.asarray(image, np.float32) / 255.0
    return patch


def tear(patch, level, two_d, module_px, rng, params):
    """The code's ink with parts of the label torn away (paper shows) and, at hard, ink smudged on it."""
    h, w = patch.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    keep = np.ones((h, w), np.float32)
    if two_d:
        # A corner bitten off: a triangle whose legs grow with the level.
        leg = [0.22, 0.32, 0.42][LEVELS.index(level)] * min(h, w)
        corner = int(rng.integers(4))
        cx_, cy_ = (0 if corner in (0, 3) else w), (0 if corner in (0, 1) else h)
        keep[(np.abs(xx - cx_) + np.abs(yy - cy_)) < leg] = 0
        params["torn"] = f"corner{corner}:{leg:.0f}px"
        return patch * keep
    if level == "easy":
        y = int(rng.uniform(0.3, 0.7) * h)
        keep[y:y + int(rng.integers(1, 4)), :] = 0
        keep[(xx / w + yy / h) < rng.uniform(0.08, 0.15)] = 0
    elif level == "medium":
        end = rng.random() < 0.5
        span = rng.uniform(0.3, 0.5) * w
        bite = (xx < span) if end else (xx > w - span)
        keep[bite & (yy < rng.uniform(0.3, 0.4) * h)] = 0
        x0, x1 = rng.uniform(0, w), rng.uniform(0, w)
        crease = np.abs((yy - h * 0.6) - (x1 - x0) / w * (xx - w / 2) * 0.3) < 1.0
        keep[crease] = 0.4
    else:
        # A tear across the label from one side to the other, keeping a band of full-height bars.
        a, b = rng.uniform(0.35, 0.55) * h, rng.uniform(0.1, 0.3) * h
        if rng.random() < 0.5:
            a, b = b, a
        keep[yy < a + (b - a) * xx / w] = 0
    out = patch * keep
    if level == "hard":
        for _ in range(int(rng.integers(2, 5))):
            bx, by = rng.uniform(0.1, 0.9) * w, rng.uniform(0.5, 0.95) * h
            radius = rng.uniform(0.8, 2.0) * module_px
            blob = np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * radius ** 2))
            out = np.maximum(out, (blob > 0.5).astype(np.float32) * 0.9)
    params["torn"] = level
    return out


def cylinder(array, cx, width, curve):
    """The page wrapped round a cylinder whose axis is vertical through the code: columns far from the
    centre are squeezed (curve 0..1: how much of a half turn the code spans)."""
    h, w = array.shape
    radius = width / (2 * max(0.05, curve) * math.pi / 2)
    x = np.arange(w, dtype=np.float64) - cx
    # Output column x shows the page at arc length radius * asin(x / radius) from the centre.
    inside = np.abs(x) < radius * 0.999
    src = np.where(inside, radius * np.arcsin(np.clip(x / radius, -1, 1)), np.sign(x) * 1e9) + cx
    out = np.full((h, w), -1.0, np.float32)
    valid = inside & (src >= 0) & (src <= w - 1)
    lo = np.floor(src[valid]).astype(int)
    hi = np.minimum(lo + 1, w - 1)
    frac = (src[valid] - lo).astype(np.float32)
    out[:, valid] = array[:, lo] * (1 - frac) + array[:, hi] * frac
    return out


def make_image(task):
    index, seed, symbology, primary, level, secondary = task
    rng = np.random.default_rng([seed, index])
    payload = make_payload(symbology, rng)
    params = {}
    dist = distortion_params(primary, level, symbology, rng) if primary != "clean" else {}
    if secondary:
        for key, value in distortion_params(secondary, "easy", symbology, rng).items():
            if key != "module_px":  # the primary distortion (or the default) sets the module size
                dist.setdefault(key, value)
    two_d = symbology in QR_CLASSES

    # Module size (px) of the code on the page.
    module_px = u(rng, 2.8, 5.5) if two_d else u(rng, 1.9, 3.4)
    module_px = dist.get("module_px", module_px)
    if "ink_spread" in dist and not two_d:
        params["ink_spread"] = round(dist["ink_spread"], 3)
    if symbology == "none":
        patch = confuser_patch(rng, params)
    else:
        patch = render_code(symbology, payload, module_px, rng, params)
    if "torn" in dist and symbology != "none":
        patch = tear(patch, dist["torn"], two_d, module_px, rng, params)
    ph, pw = patch.shape

    # Canvas: the smallest canvas sizes that fit the code (rotated if needed), picked at random.
    rotated = "angle" in dist or "shear" in dist
    need_w = math.hypot(pw, ph) if rotated else pw
    need_h = math.hypot(pw, ph) if rotated else ph
    fits = [c for c in CANVASES if need_w <= 0.85 * c[0] and need_h <= 0.85 * c[1]]
    portrait = rng.random() < 0.25
    if portrait:
        fits = [c for c in CANVASES if need_w <= 0.85 * c[1] and need_h <= 0.85 * c[0]]
    if not fits:
        fits = [CANVASES[-1]]
    cw, ch = fits[int(rng.integers(0, min(3, len(fits))))]
    if portrait:
        cw, ch = ch, cw

    # Page: paper albedo with texture, text clutter, and the code.
    paper = u(rng, 0.80, 0.94)
    albedo = np.full((ch, cw), paper, np.float32)
    albedo += smooth_field(rng, (ch, cw), int(rng.integers(3, 8)), u(rng, 0.01, 0.035))
    albedo += gaussian_blur(rng.standard_normal((ch, cw), dtype=np.float32) * u(rng, 0.008, 0.02), 0.7)
    # Where the code goes: for rotation keep the rotated code inside the canvas.
    slack_x, slack_y = cw - need_w, ch - need_h
    cx = cw / 2 + u(rng, -0.45, 0.45) * max(0, slack_x - 20)
    cy = ch / 2 + u(rng, -0.45, 0.45) * max(0, slack_y - 20)
    x0, y0 = int(round(cx - pw / 2)), int(round(cy - ph / 2))
    x0, y0 = min(max(x0, 0), cw - pw), min(max(y0, 0), ch - ph)
    ink = Image.new("L", (cw, ch), 0)
    gap = int(max(6, module_px * 2))
    draw_page_text(ink, rng, (x0 - gap, y0 - gap, x0 + pw + gap, y0 + ph + gap))
    ink = gaussian_blur(np.asarray(ink, np.float32) / 255.0, 0.4)
    code_ink = np.zeros((ch, cw), np.float32)
    code_ink[y0:y0 + ph, x0:x0 + pw] = patch
    ink_strength = u(rng, 0.86, 0.95)
    albedo = albedo * (1 - np.maximum(ink * u(rng, 0.75, 0.95), code_ink * ink_strength))
    if dist.get("inverted"):
        contrast = dist.get("inv_contrast", u(rng, 0.7, 0.85))
        dark = u(rng, 0.05, 0.15)
        albedo = dark + contrast * (1 - albedo / paper)
        params["inv_contrast"] = round(contrast, 3)

    # Geometry: the page turned about the code's centre, and/or a tilted camera; the desk shows where the page is not.
    desk_level = u(rng, 0.15, 0.45)
    image = Image.fromarray(albedo.astype(np.float32), "F")
    if "angle" in dist:
        angle = dist["angle"]
        image = image.rotate(angle, resample=Image.BICUBIC, center=(cx, cy), fillcolor=-1.0)
        params["angle"] = round(angle, 2)
    if "shear" in dist:
        shear = math.tan(math.radians(dist["shear"]))
        # Output (x, y) samples input (x + shear * (y - cy), y): a shear about the code's centre.
        image = image.transform((cw, ch), Image.AFFINE, (1, shear, -shear * cy, 0, 1, 0), Image.BICUBIC,
                                fillcolor=-1.0)
        params["shear"] = round(dist["shear"], 1)
        if dist.get("curve"):
            image = Image.fromarray(cylinder(np.asarray(image, np.float32), cx, pw, dist["curve"]), "F")
            params["curve"] = round(dist["curve"], 2)
    if "tilt" in dist:
        t = dist["tilt"]
        axis = dist["tilt_axis"]
        src = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
        dst = [list(corner) for corner in src]  # TL, TR, BR, BL
        share = 0.6 if axis == "xy" else 1.0
        if "x" in axis:  # turned about the vertical axis: the far side (left or right) is shorter
            far = (0, 3) if rng.random() < 0.5 else (1, 2)
            for c in far:
                dst[c][1] += (1 if c in (0, 1) else -1) * t * share * ch / 2
                dst[c][0] += (1 if c in (0, 3) else -1) * t * share * cw * 0.4
        if "y" in axis:  # tilted about the horizontal axis: the far edge (top or bottom) is shorter
            far = (0, 1) if rng.random() < 0.5 else (2, 3)
            for c in far:
                dst[c][0] += (1 if c in (0, 3) else -1) * t * share * cw / 2
                dst[c][1] += (1 if c in (0, 1) else -1) * t * share * ch * 0.4
        for c in range(4):  # a little camera jitter, always inward
            dst[c][0] += (1 if c in (0, 3) else -1) * u(rng, 0, 0.03) * cw
            dst[c][1] += (1 if c in (0, 1) else -1) * u(rng, 0, 0.03) * ch
        roll = math.radians(dist.get("tilt_roll", 0.0))
        if roll:  # the camera is also turned a little in its own plane, unless that loses the code
            rolled = [[cx + (x - cx) * math.cos(roll) - (y - cy) * math.sin(roll),
                       cy + (x - cx) * math.sin(roll) + (y - cy) * math.cos(roll)] for x, y in dst]
            forward = perspective_coeffs(rolled, src)  # page -> photo
            a, b, c_, d, e, f, g, h = forward
            corners = [(x0, y0), (x0 + pw, y0), (x0 + pw, y0 + ph), (x0, y0 + ph)]
            mapped = [((a * x + b * y + c_) / (g * x + h * y + 1), (d * x + e * y + f) / (g * x + h * y + 1)) for x, y in corners]
            if all(4 <= mx <= cw - 4 and 4 <= my <= ch - 4 for mx, my in mapped):
                dst = rolled
                params["tilt_roll"] = round(dist["tilt_roll"], 1)
        coeffs = perspective_coeffs(src, dst)
        image = image.transform((cw, ch), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=-1.0)
        params["tilt"] = round(t, 3)
        params["tilt_axis"] = axis
    scene = np.asarray(image, np.float32).copy()
    if "angle" in dist or "tilt" in dist or "shear" in dist:
        valid = scene > -0.5
        desk = desk_level + smooth_field(rng, (ch, cw), 4, 0.05) + rng.standard_normal((ch, cw), dtype=np.float32) * 0.01
        # Soften the page edge a little so it is not a perfect step.
        mask = gaussian_blur(valid.astype(np.float32), 0.8)
        scene = np.where(valid, scene, 0) * mask + desk * (1 - mask)

    # Illumination.
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    light = np.ones((ch, cw), np.float32)
    if "light_kind" in dist:
        kind, low = dist["light_kind"], dist["light_min"]
        theta = u(rng, 0, 2 * math.pi)
        proj = (xx - cx) * math.cos(theta) + (yy - cy) * math.sin(theta)
        if dist.get("light_span") == "code":
            half = 0.5 * (abs(pw * math.cos(theta)) + abs(ph * math.sin(theta)))
            proj = np.clip((proj + half) / (2 * half), 0, 1)
        else:
            proj = (proj - proj.min()) / max(1e-6, proj.max() - proj.min())
        if kind == "gradient":
            light = 1 - (1 - low) * proj
        elif kind == "vignette":
            vx, vy = cx + u(rng, -0.4, 0.4) * cw, cy + u(rng, -0.4, 0.4) * ch
            r = np.hypot((xx - vx) / cw, (yy - vy) / ch) + 0.25
            light = (1 - (1 - low) * np.clip(r / r.max(), 0, 1) ** 1.5) * (1 - 0.3 * proj)
        elif kind == "shadow":
            # A hard shadow edge (a hand or phone) across the code.
            nx, ny = math.cos(theta), math.sin(theta)
            dist_line = (xx - cx) * nx + (yy - cy) * ny + u(rng, -0.2, 0.2) * min(pw, ph)
            softness = u(rng, 1.0, 4.0)
            light = low + (1 - low) / (1 + np.exp(-np.clip(dist_line / softness, -30, 30)))
            light *= (1 - 0.25 * proj)
        else:  # glare: a bright washed-out spot on the code
            gx, gy = x0 + u(rng, 0.2, 0.8) * pw, y0 + u(rng, 0.2, 0.8) * ph
            radius = u(rng, 0.25, 0.45) * max(pw, ph)
            scene = scene + dist["glare"] * np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius ** 2)))
            light = 1 - (1 - max(low, 0.5)) * proj
        params["light"] = f"{kind}:{low:.2f}" + (f":glare{dist['glare']:.2f}" if kind == "glare" else "")
    radiance = scene * light

    # Optics: blur (relative to the module size) plus the small-module camera softness.
    if "motion_rel" in dist:
        length = max(1.0, dist["motion_rel"] * module_px)
        theta = u(rng, 0, math.pi)
        steps = int(math.ceil(length)) + 1
        acc = np.zeros_like(radiance)
        for k in range(steps):
            t = (k / (steps - 1) - 0.5) * length
            acc += np.roll(np.roll(radiance, int(round(t * math.sin(theta))), axis=0), int(round(t * math.cos(theta))), axis=1)
        radiance = acc / steps
        params["motion_px"] = round(length, 2)
    sigma = dist.get("blur_rel", 0.0) * module_px + dist.get("optics_sigma", 0.0)
    if sigma > 0:
        radiance = gaussian_blur(radiance, sigma)
        params["blur_sigma_px"] = round(sigma, 2)

    # Exposure: 1.0 of radiance maps to 255; low light squeezes it dark and flat.
    signal = radiance * 255.0 * u(rng, 0.95, 1.05)
    if "exposure" in dist:
        mean = float(signal.mean())
        signal = mean + dist["contrast"] * (signal - mean)
        signal = signal * (dist["exposure"] * 255.0 / max(1.0, mean * 0.95))
        params["lowlight"] = f"{dist['exposure']:.3f}/{dist['contrast']:.2f}"
    if "screen_grid" in dist:
        pitch, strength = dist["screen_pitch"], dist["screen_grid"]
        phase = u(rng, 0, 2 * math.pi)
        grid = ((1 - strength) + strength * 0.5 * (1 + np.cos(2 * math.pi * xx / pitch + phase))) * \
               ((1 - strength) + strength * 0.5 * (1 + np.cos(2 * math.pi * yy / (pitch * u(rng, 0.97, 1.03)))))
        signal = signal * grid
        if dist["screen_glare"]:
            theta = u(rng, 0, 2 * math.pi)
            proj = (xx - cx) * math.cos(theta) + (yy - cy) * math.sin(theta)
            proj = (proj - proj.min()) / max(1e-6, proj.max() - proj.min())
            signal = signal + 255 * dist["screen_glare"] * proj ** 2
        params["screen"] = f"pitch{pitch:.2f}:grid{strength:.2f}:glare{dist['screen_glare']:.2f}"
    # Noise: gaussian (with a grain component) and sensor noise.
    noise_sigma = dist.get("noise_sigma", 0.0)
    if noise_sigma:
        grain = dist.get("grain", 0.0)
        white = rng.standard_normal((ch, cw), dtype=np.float32)
        blob = gaussian_blur(rng.standard_normal((ch, cw), dtype=np.float32), 1.2) * 2.6
        signal = signal + noise_sigma * ((1 - grain) * white + grain * blob)
        params["noise_sigma"] = round(noise_sigma, 1)
    sensor = dist.get("sensor_noise", u(rng, 0.8, 1.8))
    signal = signal + rng.standard_normal((ch, cw), dtype=np.float32) * sensor
    gray = np.clip(np.round(signal), 0, 255).astype(np.uint8)

    # Output format.
    if "jpeg_quality" in dist:
        fmt, quality = "jpg", dist["jpeg_quality"]
    elif primary == "small" or rng.random() < 0.7:
        fmt, quality = "png", None
    else:
        fmt, quality = "jpg", int(rng.integers(82, 93))
    rgb = rng.random() < (0.5 if fmt == "jpg" else 0.3)
    if rgb:
        tint = np.array([u(rng, 0.97, 1.03), 1.0, u(rng, 0.85, 1.0)], np.float32)
        channels = gray[:, :, None].astype(np.float32) * tint[None, None, :]
        channels += rng.standard_normal(channels.shape, dtype=np.float32)
        out = Image.fromarray(np.clip(np.round(channels), 0, 255).astype(np.uint8), "RGB")
    else:
        out = Image.fromarray(gray, "L")

    label = primary if primary == "clean" else f"{primary}/{level}"
    if secondary:
        label += f"+{secondary}/easy"
    name = f"{index:04d}-{primary}-{level if primary != 'clean' else 'control'}-{symbology}.{fmt}"
    return {
        "name": name, "image": out, "fmt": fmt, "quality": quality, "symbology": symbology,
        "payload": payload, "distortion": label, "size": (cw, ch), "module_px": module_px,
        "params": params, "rgb": rgb,
    }


def write_image(task, outdir):
    result = make_image(task)
    path = os.path.join(outdir, result.pop("name"))
    image = result.pop("image")
    if result["fmt"] == "jpg":
        image.save(path, "JPEG", quality=result["quality"])
        result["params"]["jpeg_quality"] = result["quality"]
    else:
        image.save(path, "PNG", optimize=False)
    result["file"] = os.path.basename(path)
    return result


def plan(count, seed):
    """(index, seed, symbology, primary, level, secondary) for every image: balanced distortions and
    levels, symbologies in fixed proportions, shuffled by the seed."""
    rng = np.random.default_rng([seed, 0xC0DE])
    combos = []
    for i in range(count):
        primary = DISTORTIONS[i % len(DISTORTIONS)]
        level = LEVELS[(i // len(DISTORTIONS)) % len(LEVELS)] if primary != "clean" else "control"
        combos.append((primary, level))
    symbologies = []
    for name, weight in SYMBOLOGY_WEIGHTS:
        symbologies += [name] * int(round(weight * count))
    while len(symbologies) < count:
        symbologies.append(SYMBOLOGY_WEIGHTS[len(symbologies) % len(SYMBOLOGY_WEIGHTS)][0])
    symbologies = symbologies[:count]
    order = rng.permutation(count)
    tasks = []
    for index in range(count):
        primary, level = combos[index]
        symbology = symbologies[order[index]]
        secondary = None
        if primary != "clean" and rng.random() < 0.33:
            options = [s for s in SECONDARY if s != primary]
            if primary == "inverted":
                options = [s for s in options if s not in ("rotation",)]
            secondary = options[int(rng.integers(len(options)))]
        tasks.append((index, seed, symbology, primary, level, secondary))
    return tasks


def main():
    parser = argparse.ArgumentParser(
        prog="hard-corpus.py",
        description="Write a deterministic synthetic corpus of hard barcode photos (blur, tilt, noise, low "
                    "light, uneven light, JPEG, tiny modules, rotation, inverted, plus a clean control group) "
                    "with a manifest, for comparing decoders (see scripts/compare-decoders.sh).",
        epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", metavar="OUTDIR", help="directory to write into (created if missing)")
    parser.add_argument("--count", type=int, default=560, help="number of images (default: 560: 40 per distortion)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; same seed, same corpus (default: 1)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="worker processes (default: min(2, CPUs)); does not change the output")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.seed < 0:
        parser.error("--seed must be non-negative")

    os.makedirs(args.outdir, exist_ok=True)
    for old in os.listdir(args.outdir):
        if re.fullmatch(r"\d{4}-[a-z]+-[a-z]+-[a-z0-9-]+\.(png|jpg)", old):
            os.remove(os.path.join(args.outdir, old))

    started = time.monotonic()
    tasks = plan(args.count, args.seed)
    if args.jobs > 1:
        import multiprocessing
        from functools import partial
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(partial(write_image, outdir=args.outdir), tasks, chunksize=4)
    else:
        results = [write_image(task, args.outdir) for task in tasks]

    with open(os.path.join(args.outdir, "manifest.csv"), "w", newline="", encoding="utf-8") as manifest:
        writer = csv.writer(manifest, lineterminator="\n")
        writer.writerow(["file", "symbology", "payload", "distortion"])
        for r in results:
            writer.writerow([r["file"], r["symbology"], r["payload"], r["distortion"]])
    with open(os.path.join(args.outdir, "params.csv"), "w", newline="", encoding="utf-8") as details:
        writer = csv.writer(details, lineterminator="\n")
        writer.writerow(["file", "width", "height", "module_px", "format", "params"])
        for r in results:
            kind = ("rgb" if r["rgb"] else "gray") + "-" + r["fmt"]
            params = ";".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
            writer.writerow([r["file"], r["size"][0], r["size"][1], f"{r['module_px']:.2f}", kind, params])
    elapsed = time.monotonic() - started
    print(f"hard-corpus: wrote {len(results)} images, manifest.csv and params.csv to {args.outdir} "
          f"(seed {args.seed}, {args.jobs} jobs, {elapsed:.1f}s)")


if __name__ == "__main__":
    main()
