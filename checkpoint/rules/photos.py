"""Photos: turning whatever a phone uploads into a small JPEG that carries nothing but pixels."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, ImageOps

from . import RuleViolation

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 80
# Only plugins we mean to accept are even tried: the others (EPS calls Ghostscript, PDF, TIFF,
# ICO…) are attack surface a volunteer's camera never needs. JPEG covers MPO, the multi-picture
# JPEG that many phones write. HEIC is absent because this Pillow cannot read it.
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")

# Pillow's own bomb check runs inside Image.open, before we see the size; lowering its limit to
# ours (it is 89 megapixels by default, or None if someone turned it off) makes it a second guard.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass
class CleanPhoto:
    data: bytes
    width: int
    height: int


def clean_photo(raw: bytes) -> CleanPhoto:
    """`raw` re-drawn as an upright RGB JPEG, long side at most MAX_SIDE, with no metadata at all.

    Whether `raw` is a photo is decided by decoding it, never by its name or declared type.
    """
    if not raw:
        raise RuleViolation(_l("The photo is empty."), field="photo", code="empty_photo")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise RuleViolation(_l("The photo is larger than %(mb)d MB.", mb=MAX_UPLOAD_BYTES // (1024 * 1024)),
                            field="photo", code="photo_too_large")
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # With it on, Pillow pads a cut-off file with grey and calls it a photo.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay off for clean_photo")
    image = _decode(raw)
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # a broken EXIF block costs the orientation, not the photo
        pass
    image = _shrink(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return CleanPhoto(data=out.getvalue(), width=image.width, height=image.height)


def _decode(raw: bytes) -> Image.Image:
    """The pixels of `raw`, fully loaded, or a refusal; huge images are refused before decoding."""
    too_many_pixels = RuleViolation(_l("The photo has too many pixels."), field="photo",
                                    code="photo_too_many_pixels")
    not_an_image = RuleViolation(_l("This file is not a photo."), field="photo", code="not_an_image")
    try:
        with warnings.catch_warnings():
            # Between MAX_IMAGE_PIXELS and twice that, Pillow only warns; here that must stop the upload.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=_FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:  # the header alone told us; nothing is decoded yet
                raise too_many_pixels
            # A JPEG can be decoded straight at 1/2, 1/4 or 1/8 scale: a 12-megapixel photo then
            # needs a quarter of the memory, and the result is still larger than the target.
            scale = MAX_SIDE / max(width, height)
            if scale < 1:
                image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
            image.load()  # decodes every byte, so a truncated or corrupt file fails here, not later
    except RuleViolation:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except Exception:
        # Malformed input surfaces as OSError, SyntaxError, ValueError, EOFError, struct.error…
        # whichever it is, these bytes are not a photo we can trust.
        raise not_an_image from None
    return image


def _shrink(image: Image.Image) -> Image.Image:
    """A fresh RGB image at most MAX_SIDE on its long side, transparency flattened on white.

    Only pixels are copied into a new image, so no EXIF, GPS, ICC profile, XMP or comment that
    rode in `image.info` can reach the saved file.
    """
    if image.mode.startswith("I"):
        # 16-bit greyscale PNG: a plain conversion clips every value above 255 to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    alpha = image.has_transparency_data
    wanted = "RGBA" if alpha else "RGB"
    if image.mode != wanted:
        # Before resizing: palette and 1-bit images would otherwise be resized with nearest-neighbour.
        image = image.convert(wanted)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # never enlarges
    clean = Image.new("RGB", image.size, "white")
    clean.paste(image, mask=image.getchannel("A") if alpha else None)
    return clean
