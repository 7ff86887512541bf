"""Draws the app's PNG icons (the design of icon.svg: a white shield with a check on #0b4f8a).

Run once after changing the design and commit the PNGs:  .venv/bin/python static/icons/make_icons.py
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
PRIMARY = (11, 79, 138, 255)  # --primary in static/css/app.css
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4  # drawn large and shrunk, for smooth edges without an SVG renderer


def _cubic(p0, p1, p2, p3, steps=48):
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        yield (u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
               u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1])


# icon.svg's shield, on its 64-unit grid: M32 8 14 15v14c0 12 8 22 18 27 10-5 18-15 18-27V15z
SHIELD = [(32, 8), (14, 15), (14, 29), *_cubic((14, 29), (14, 41), (22, 51), (32, 56)),
          *_cubic((32, 56), (42, 51), (50, 41), (50, 29)), (50, 15)]
CHECK = [(24, 31), (30, 37), (41, 25)]
CHECK_WIDTH = 5


def draw(size: int, *, rounded: bool, scale: float = 1.0) -> Image.Image:
    """The icon at `size` px. `rounded`: corners cut as in icon.svg (transparent); otherwise the
    blue fills the square, for launchers that apply their own mask. `scale` shrinks the shield
    around the centre (maskable icons keep it inside the central safe circle)."""
    big = size * SUPERSAMPLE
    unit = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=12 * unit, fill=PRIMARY)
    else:
        pen.rectangle((0, 0, big, big), fill=PRIMARY)

    def at(point):
        return ((32 + (point[0] - 32) * scale) * unit, (32 + (point[1] - 32) * scale) * unit)

    pen.polygon([at(p) for p in SHIELD], fill=WHITE)
    width = round(CHECK_WIDTH * scale * unit)
    check = [at(p) for p in CHECK]
    pen.line(check, fill=PRIMARY, width=width, joint="curve")
    for x, y in (check[0], check[-1]):  # round caps
        pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=PRIMARY)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def save(image: Image.Image, name: str) -> None:
    """Saved with a palette of the only colours there are (blue to white, and blue fading out at the
    rounded corners), exactly, so the files stay a few kilobytes."""
    steps = 15
    blends = [tuple(round(b + (w - b) * i / steps) for b, w in zip(PRIMARY[:3], WHITE[:3])) for i in range(steps + 1)]
    palette = [channel for colour in blends + [PRIMARY[:3]] * (steps + 1) for channel in colour]
    alphas = [255] * (steps + 1) + [round(255 * i / steps) for i in range(steps + 1)]
    span = WHITE[0] - PRIMARY[0]

    def index(pixel) -> int:
        red, _green, _blue, alpha = pixel
        if alpha < 255:  # only the corners' edge is see-through, and it is blue
            return steps + 1 + round(alpha / 255 * steps)
        return min(steps, max(0, round((red - PRIMARY[0]) / span * steps)))

    indexed = Image.new("P", image.size)
    indexed.putpalette(palette)
    rgba = image.convert("RGBA").tobytes()
    indexed.putdata([index(rgba[i:i + 4]) for i in range(0, len(rgba), 4)])
    extra = {"transparency": bytes(alphas)} if image.mode == "RGBA" else {}
    indexed.save(HERE / name, optimize=True, **extra)


def main() -> None:
    save(draw(192, rounded=True), "icon-192.png")
    save(draw(512, rounded=True), "icon-512.png")
    # Maskable: the shield (24.8 units from the centre at most) shrunk to fit well inside the
    # safe circle of radius 40 % that Android keeps whatever shape it cuts.
    save(draw(512, rounded=False, scale=0.8).convert("RGB"), "icon-maskable-512.png")
    # iOS rounds the corners itself and paints transparency black: a full square, no alpha.
    save(draw(180, rounded=False).convert("RGB"), "apple-touch-icon-180.png")


if __name__ == "__main__":
    main()
