"""figcheck.py - checks that a figure file is what it claims to be: a PNG
with a valid signature and header chunk of sensible dimensions, or a PDF
with its header, an %%EOF trailer and a sensible size that poppler renders
to a page with ink on it. Shared by the demo and notebook tests."""

import os
import shutil
import struct
import subprocess
import tempfile

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from the IHDR chunk; AssertionError if not a PNG."""
    with open(path, "rb") as handle:
        head = handle.read(33)
    assert head[:8] == PNG_SIGNATURE, "%s: not a PNG (signature %r)" % (path, head[:8])
    length, chunk = struct.unpack(">I4s", head[8:16])
    assert chunk == b"IHDR" and length == 13, "%s: first chunk is %r, not IHDR" % (path, chunk)
    return struct.unpack(">II", head[16:24])


def check_png(path, min_px=(300, 200), max_px=(6000, 8000), min_bytes=5000):
    assert os.path.exists(path), "%s: missing" % path
    width, height = png_size(path)
    assert min_px[0] <= width <= max_px[0] and min_px[1] <= height <= max_px[1], \
        "%s: %dx%d pixels is not a sensible figure size" % (path, width, height)
    size = os.path.getsize(path)
    assert size >= min_bytes, "%s: only %d bytes" % (path, size)
    return width, height


def check_pdf(path, min_bytes=3000, max_bytes=5_000_000):
    assert os.path.exists(path), "%s: missing" % path
    size = os.path.getsize(path)
    assert min_bytes <= size <= max_bytes, "%s: %d bytes is not a sensible size" % (path, size)
    with open(path, "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-1."), "%s: no %%PDF header" % path
    assert b"%%EOF" in data[-64:], "%s: no %%%%EOF at the end (truncated?)" % path
    assert b"/Type /Page" in data or b"/Type/Page" in data, "%s: no page object" % path


def render_pdf(path, dpi=50):
    """Page 1 of the PDF rendered by poppler's pdftoppm (the bootstrap
    installs poppler-utils) as (width, height, share of non-white pixels);
    None when pdftoppm is missing."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "page")
        subprocess.run([tool, "-png", "-r", str(dpi), "-singlefile", path, out], check=True, timeout=60,
                       capture_output=True)
        import matplotlib.image
        pixels = matplotlib.image.imread(out + ".png")
    inked = float((pixels[..., :3].min(axis=-1) < 0.9).mean())
    return pixels.shape[1], pixels.shape[0], inked


def check_figure(stem):
    """STEM.png and STEM.pdf both exist and are valid, and the PDF renders
    to a page with ink on it and the PNG's shape; returns PNG size."""
    check_pdf(stem + ".pdf")
    width, height = check_png(stem + ".png")
    rendered = render_pdf(stem + ".pdf")
    if rendered is not None:
        pdf_width, pdf_height, inked = rendered
        assert inked > 0.01, "%s.pdf renders blank (%.3f of the page inked)" % (stem, inked)
        assert abs(pdf_width / pdf_height - width / height) < 0.03 * width / height, \
            "%s.pdf renders %dx%d, the PNG is %dx%d" % (stem, pdf_width, pdf_height, width, height)
    return width, height
