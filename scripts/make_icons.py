#!/usr/bin/env python
"""The home-screen icons of the web app manifest (issue 14 point 6).

    .venv/bin/python scripts/make_icons.py

Draws a white house with a door on the site's blue (--accent in site.css) and
writes, into portail/static/portail/icons/:
  icon-192.png, icon-512.png   "any": a rounded square, transparent corners
  icon-maskable-512.png        "maskable": full bleed, the house inside the
                               central safe circle (radius 40 %) a launcher keeps
  apple-touch-icon.png         180 px, full bleed (iOS rounds the corners itself)
The PNGs are committed; run this again only to change the drawing.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 92, 171, 255)  # #0b5cab, the theme colour
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "portail" / "static" / "portail" / "icons"
SCALE = 4  # drawn 4 times larger, then reduced: smooth edges


def house(draw, size, extent):
    """A house centred in a `size` square, `extent` (0–1) of its side wide."""
    side = size * extent
    left, top = (size - side) / 2, (size - side) / 2
    roof_bottom = top + side * 0.45
    draw.polygon([(left, roof_bottom), (size / 2, top), (left + side, roof_bottom)], fill=WHITE)
    wall_left, wall_right = left + side * 0.14, left + side * 0.86
    draw.rectangle([wall_left, roof_bottom - 1, wall_right, top + side], fill=WHITE)
    door_w, door_h = side * 0.2, side * 0.32
    draw.rectangle([size / 2 - door_w / 2, top + side - door_h, size / 2 + door_w / 2, top + side], fill=BLUE)
    window = side * 0.14
    for x in (wall_left + side * 0.08, wall_right - side * 0.08 - window):
        draw.rectangle([x, roof_bottom + side * 0.08, x + window, roof_bottom + side * 0.08 + window], fill=BLUE)


def icon(size, *, rounded, extent):
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.18, fill=BLUE)
    else:
        draw.rectangle([0, 0, big, big], fill=BLUE)
    house(draw, big, extent)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    icons = {
        "icon-192.png": icon(192, rounded=True, extent=0.62),
        "icon-512.png": icon(512, rounded=True, extent=0.62),
        # The safe zone of a maskable icon is the circle of radius 0.4: a square of side 0.56 fits in it.
        "icon-maskable-512.png": icon(512, rounded=False, extent=0.5),
        "apple-touch-icon.png": icon(180, rounded=False, extent=0.6),
    }
    for name, image in icons.items():
        image.save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
