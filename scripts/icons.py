"""Draw Tend's app icons: python scripts/icons.py [out_dir]

The artwork is the tank from static/icons/tend.svg, drawn richer: water with a gentle
wave inside the outline. Debian's Chromium renders each icon at its exact pixel size
and the screenshot is the PNG, so nothing beyond Playwright is needed. tests/test_pwa.py
checks that every icon the manifest names has the size it declares.

- icon-192.png, icon-512.png: purpose "any"; a rounded square, transparent corners.
- maskable-512.png: purpose "maskable"; the background fills the square, the artwork
  stays inside the central circle (80 % of the width) that every launcher mask keeps.
- apple-touch-icon.png: 180 px, opaque (iOS rounds the corners itself).
- shortcut-checkin-96.png, shortcut-reflect-96.png: the manifest's app shortcuts.
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402

TEAL_TOP = "#347d72"
TEAL_BOTTOM = "#275a53"
CREAM = "#fffdf9"

# Everything is drawn in a 100 x 100 box; `scale` shrinks the artwork about the centre.
GRADIENT = f"""
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="{TEAL_TOP}"/>
      <stop offset="1" stop-color="{TEAL_BOTTOM}"/>
    </linearGradient>
  </defs>"""

TANK = f"""
  <rect x="33" y="23" width="34" height="55" rx="9" fill="none" stroke="{CREAM}"
        stroke-width="5.5"/>
  <path d="M39.5 49.5 q5.25 -3.4 10.5 0 t10.5 0 V68.5 a4 4 0 0 1 -4 4 H43.5 a4 4 0 0 1 -4 -4 Z"
        fill="{CREAM}" opacity="0.45"/>
  <path d="M39.5 53 q5.25 3.4 10.5 0 t10.5 0 V68.5 a4 4 0 0 1 -4 4 H43.5 a4 4 0 0 1 -4 -4 Z"
        fill="{CREAM}"/>"""

# Looking back: an arrow turning anticlockwise round a clock face.
LOOK_BACK = f"""
  <path d="M31.2 42.3 A21 21 0 1 1 31.6 60.2" fill="none" stroke="{CREAM}" stroke-width="6"
        stroke-linecap="round"/>
  <path d="M22.5 36.5 L31.8 47.2 L37.8 34.6 Z" fill="{CREAM}" stroke="{CREAM}"
        stroke-width="2" stroke-linejoin="round"/>
  <path d="M52 38 V52 L61 57.5" fill="none" stroke="{CREAM}" stroke-width="6"
        stroke-linecap="round" stroke-linejoin="round"/>"""


def svg(artwork, background, scale=1.0):
    """One icon's SVG: a background shape and the artwork shrunk by `scale` about the centre."""
    offset = 50 * (1 - scale)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f"{GRADIENT}{background}"
        f'<g transform="translate({offset} {offset}) scale({scale})">{artwork}</g></svg>'
    )


ROUNDED = '<rect width="100" height="100" rx="22" fill="url(#sky)"/>'
FULL_BLEED = '<rect width="100" height="100" fill="url(#sky)"/>'
ROUND = '<circle cx="50" cy="50" r="50" fill="url(#sky)"/>'

ICONS = {
    "icon-192.png": (192, svg(TANK, ROUNDED)),
    "icon-512.png": (512, svg(TANK, ROUNDED)),
    # The tank's corners lie 36 units from the centre; 0.82 keeps them at 30, well
    # inside the 40-unit circle a mask may cut down to.
    "maskable-512.png": (512, svg(TANK, FULL_BLEED, scale=0.82)),
    "apple-touch-icon.png": (180, svg(TANK, FULL_BLEED, scale=0.92)),
    "shortcut-checkin-96.png": (96, svg(TANK, ROUND, scale=0.9)),
    "shortcut-reflect-96.png": (96, svg(LOOK_BACK, ROUND)),
}


def render(out_dir):
    """Render every icon into `out_dir` at its exact size."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for name, (size, drawing) in ICONS.items():
            page = browser.new_page(viewport={"width": size, "height": size},
                                    device_scale_factor=1)
            page.set_content(
                "<!doctype html><style>html, body { margin: 0; background: transparent; }"
                f"svg {{ display: block; width: {size}px; height: {size}px; }}</style>{drawing}"
            )
            page.screenshot(path=out / name, omit_background=True)
            page.close()
            print(f"{out / name}: {size}x{size}")
        browser.close()


if __name__ == "__main__":
    render(sys.argv[1] if len(sys.argv) > 1 else "static/icons")
