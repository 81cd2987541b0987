"""Small SVG charts drawn in Python for the PDFs (no browser, no plotting library)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from console.formatting import format_number

PALETTE = ("#1F4E3D", "#3C7A5E", "#C8A94B", "#7A9E8C")
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def _short_number(value: int) -> str:
    """1 234 567 → ``1,2 M``; keeps axis labels short."""
    for limit, suffix in ((1_000_000_000, "Md"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= limit:
            return f"{format_number(value / limit, 1)}\u00a0{suffix}"
    return format_number(value)


def bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    width: int = 640,
    bar_height: int = 16,
    label_width: int = 170,
    value_format: Callable[[int], str] = _short_number,
    color: str = PALETTE[0],
) -> Markup:
    """Horizontal bars, one per (label, value), largest scale to the full width."""
    if not items:
        return Markup("")
    gap = 6
    value_width = 80
    plot = width - label_width - value_width
    peak = max((v for _, v in items), default=0) or 1
    height = len(items) * (bar_height + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10">'
    ]
    for index, (label, value) in enumerate(items):
        y = gap + index * (bar_height + gap)
        length = max(0, round(plot * value / peak))
        text_y = y + bar_height * 0.72
        parts.append(
            f'<text x="{label_width - 6}" y="{text_y:.1f}" text-anchor="end" fill="#222">'
            f"{escape(_clip(label, 28))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" fill="{color}"/>'
            f'<text x="{label_width + length + 4}" y="{text_y:.1f}" fill="#444">'
            f"{escape(value_format(value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(
    items: Sequence[tuple[str, int]],
    *,
    width: int = 640,
    height: int = 170,
    color: str = PALETTE[1],
    label_every: int = 1,
) -> Markup:
    """Vertical columns over time (e.g. sales per day), with a light scale."""
    if not items:
        return Markup("")
    left, bottom, top = 48, 18, 8
    plot_w, plot_h = width - left - 4, height - bottom - top
    peak = max((v for _, v in items), default=0) or 1
    step = plot_w / len(items)
    bar_w = max(1.0, step * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="8">'
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#555">'
            f"{escape(_short_number(round(peak * fraction)))}</text>"
        )
    for index, (label, value) in enumerate(items):
        x = left + index * step + (step - bar_w) / 2
        h = plot_h * value / peak
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}"/>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 5}" text-anchor="middle" fill="#555">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
