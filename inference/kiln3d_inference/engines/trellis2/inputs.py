"""What a trellis2 job hands upstream: the picture (RGBA or RGB, which decides background removal),
the seed, and the built-in warm-up picture.

Upstream's `preprocess_image` (microsoft/TRELLIS.2 @ 5565d24, trellis2_image_to_3d.py:127-162)
skips background removal when an RGBA image has any alpha below 255, else runs rembg; then crops to
alpha > 0.8 and premultiplies. We decide "real transparency" ourselves (`prepare_input`) and hand it
an RGBA or an RGB image accordingly, so a near-opaque RGBA (stray alpha 254 pixels) still gets its
background removed.
"""

from __future__ import annotations

import secrets

import numpy as np
from PIL import Image, ImageDraw

from kiln3d_inference.engines.base import InvalidInput

MAX_SEED = 2**31 - 1  # upstream seeds torch with an int32
# Input judged to have real transparency: at least this share of pixels below half alpha.
TRANSPARENT_SHARE = 0.01
FOREGROUND_ALPHA = 204  # upstream crops to alpha > 0.8 * 255 (trellis2_image_to_3d.py:152)
MIN_FOREGROUND_PIXELS = 16
MIN_IMAGE_SIDE = 16


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def prepare_input(image: Image.Image) -> tuple[Image.Image, bool]:
    """The image to give `preprocess_image`, and whether it has real transparency.

    Transparent (at least 1 % of pixels below half alpha): RGBA, so upstream uses its alpha as the
    mask and skips background removal. Otherwise: RGB, so upstream runs its background remover.
    Raises InvalidInput for a picture under 16 px a side or with no opaque foreground at all.
    """
    if image.width < MIN_IMAGE_SIDE or image.height < MIN_IMAGE_SIDE:
        raise InvalidInput(
            f"image too small: {image.width}x{image.height}, at least {MIN_IMAGE_SIDE} px a side"
        )
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"))
        if float(np.mean(alpha < 128)) >= TRANSPARENT_SHARE:
            if int(np.count_nonzero(alpha > FOREGROUND_ALPHA)) < MIN_FOREGROUND_PIXELS:
                raise InvalidInput("the image is transparent everywhere: no foreground to model")
            return rgba, True
    return image.convert("RGB"), False


def choose_seed(seed: int) -> int:
    """0 means 'engine chooses'; anything else is folded into upstream's int32 range (1 to 2^31 - 2)."""
    if seed == 0:
        return secrets.randbelow(MAX_SEED - 1) + 1
    return seed if 0 < seed < MAX_SEED else (seed % MAX_SEED) or 1


def warm_up_image(size: int = 384) -> Image.Image:
    """A small built-in subject on a transparent background (a mug-like shape), size x size RGBA."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size
    draw.rounded_rectangle(
        (0.28 * s, 0.22 * s, 0.68 * s, 0.80 * s), radius=int(0.05 * s), fill=(196, 72, 48, 255)
    )
    draw.ellipse((0.28 * s, 0.16 * s, 0.68 * s, 0.28 * s), fill=(150, 50, 36, 255))
    draw.arc(
        (0.58 * s, 0.36 * s, 0.84 * s, 0.66 * s),
        start=-90,
        end=90,
        fill=(196, 72, 48, 255),
        width=int(0.05 * s),
    )
    return image
