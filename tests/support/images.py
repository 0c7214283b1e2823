"""Evidence photos for tests: a real JPEG carrying what a phone writes into one (GPS, device, time)."""

from __future__ import annotations

import io

from PIL import Image

#: What the phone's EXIF says, and a test looks for after the photo was kept.
MAKE, MODEL, WHEN = "PhoneMaker", "Model X-123", "2026:11:02 06:15:00"
GPS = {1: "N", 2: (42.0, 2.0, 30.0), 3: "W", 4: (82.0, 44.0, 10.0)}  # a farm near Leamington


def phone_photo(size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A small photo with GPS, make, model and time in its EXIF."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = MAKE, MODEL, WHEN
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()
