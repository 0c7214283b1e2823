"""Evidence photos re-encoded from their pixels alone: no GPS, device, time or other metadata.

A phone's photo carries EXIF (where and when it was taken, which phone), XMP and comments: kept,
they could place the worker at the farm on the day of the report. Only the allowed image formats
are accepted, judged by their content, not by the type the sender claims.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

#: Formats (as Pillow names them) accepted as evidence.
ALLOWED = {"JPEG", "PNG", "WEBP", "GIF"}
#: A larger image is refused (a decompression bomb); phone photos are far below it.
MAX_PIXELS = 50_000_000


class RefusedMedia(ValueError):
    """Not an image of an allowed type, or not a readable one."""


def clean(data: bytes) -> tuple[bytes, str]:
    """The image re-encoded (JPEG, or PNG when it has transparency) and its content type."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ALLOWED:
                raise RefusedMedia(f"{image.format or 'unknown'} is not an allowed image type")
            if image.width * image.height > MAX_PIXELS:
                raise RefusedMedia("image too large")
            upright = ImageOps.exif_transpose(image)  # keeps how it looked, drops the tag
            alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            pixels = upright.convert("RGBA" if alpha else "RGB")
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RefusedMedia(f"not a readable image ({type(exc).__name__})") from None
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # pixels, nothing else
    out = io.BytesIO()
    if alpha:
        bare.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    bare.save(out, "JPEG", quality=90)
    return out.getvalue(), "image/jpeg"
