"""figcheck.py - checks that a figure file is what it claims to be: a PNG
with a valid signature and header chunk of sensible dimensions, or a PDF
with its header, an %%EOF trailer and a sensible size. Shared by the demo
and notebook tests."""

import os
import struct

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


def check_figure(stem):
    """STEM.png and STEM.pdf both exist and are valid; returns PNG size."""
    check_pdf(stem + ".pdf")
    return check_png(stem + ".png")
