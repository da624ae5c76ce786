"""Draw demo/blog/hello-jamtail/pipeline.png, the diagram in the "Hello, Jamtail" post.

Run with ``.venv/bin/python demo/draw_pipeline.py``; needs Pillow and the DejaVu fonts
(Debian package ``fonts-dejavu-core``). The PNG is committed, so this is only for
changing the picture.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

W, H = 1600, 900
BG, INK, MUTED = (250, 248, 243), (31, 41, 55), (100, 110, 125)
FILLS = [(219, 234, 254), (220, 252, 231), (254, 243, 199), (237, 233, 254)]
EDGES = [(37, 99, 235), (22, 163, 74), (217, 119, 6), (124, 58, 237)]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

img = Image.new("RGB", (W, H), BG)
d = ImageDraw.Draw(img)
title = ImageFont.truetype(BOLD, 52)
label = ImageFont.truetype(BOLD, 40)
small = ImageFont.truetype(FONT, 26)

d.text((W // 2, 110), "From publish to reader", font=title, fill=INK, anchor="mm")
d.text(
    (W // 2, 175), "Every stage hands plain data to the next", font=small, fill=MUTED, anchor="mm"
)

boxes = [
    ("CMS", ["Wagtail admin", "editors publish"]),
    ("API", ["/api/v2/", "JSON over HTTP"]),
    ("build", ["jamtail build", "render, write"]),
    ("CDN", ["build/ files", "readers"]),
]
bw, bh, gap = 300, 260, 80
x0 = (W - (4 * bw + 3 * gap)) // 2
y0 = 340
for i, (name, lines) in enumerate(boxes):
    x = x0 + i * (bw + gap)
    d.rounded_rectangle(
        (x, y0, x + bw, y0 + bh), radius=28, fill=FILLS[i], outline=EDGES[i], width=6
    )
    d.text((x + bw // 2, y0 + 80), name, font=label, fill=INK, anchor="mm")
    for j, line in enumerate(lines):
        d.text((x + bw // 2, y0 + 150 + j * 42), line, font=small, fill=MUTED, anchor="mm")
    if i < 3:
        ax0, ax1, ay = x + bw + 10, x + bw + gap - 10, y0 + bh // 2
        d.line((ax0, ay, ax1 - 18, ay), fill=INK, width=8)
        d.polygon([(ax1, ay), (ax1 - 26, ay - 18), (ax1 - 26, ay + 18)], fill=INK)

# The webhook loops back from the CMS to the build, above the boxes.
cx = x0 + bw // 2
bx = x0 + 2 * (bw + gap) + bw // 2
top = y0 - 60
d.line((cx, y0 - 8, cx, top), fill=EDGES[0], width=5)
d.line((cx, top, bx, top), fill=EDGES[0], width=5)
d.line((bx, top, bx, y0 - 30), fill=EDGES[0], width=5)
d.polygon([(bx, y0 - 8), (bx - 16, y0 - 34), (bx + 16, y0 - 34)], fill=EDGES[0])
d.text(
    ((cx + bx) // 2, top - 26),
    "signed webhook starts a build",
    font=small,
    fill=EDGES[0],
    anchor="mm",
)

d.text(
    (W // 2, y0 + bh + 120),
    "The CMS can go offline: readers only ever reach the CDN.",
    font=small,
    fill=INK,
    anchor="mm",
)

out = img.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
out.save(Path(__file__).parent / "blog" / "hello-jamtail" / "pipeline.png", optimize=True)
