"""The fan-out benchmark's figures as a small SVG, written by hand to keep the kit free of
plotting dependencies: grouped bars per room size, throughput and p99 latency, both on log
scales since the servers differ by orders of magnitude. A failed check is drawn in red."""

import math
from html import escape

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f", "#9467bd"]
PANEL_W, PANEL_H, TOP, LEFT, BOTTOM = 400, 250, 40, 60, 40


def render(rows: list[dict], servers: list[str], sizes: list[int]) -> str:
    """rows: {"server", "clients", "throughput", "p99_ms", "failed"}; None where not measured."""
    width, height = 2 * PANEL_W + 20, TOP + PANEL_H + BOTTOM + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    by_key = {(row["server"], row["clients"]): row for row in rows}
    panels = [
        ("throughput", "fan-out throughput, deliveries/s (log)", compact),
        ("p99_ms", "p99 latency, ms (log)", ms),
    ]
    for number, (field, title, label) in enumerate(panels):
        parts += panel(number * (PANEL_W + 20), field, title, label, by_key, servers, sizes)
    for number, server in enumerate(servers):
        x, y = LEFT + number * 130, height - 14
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLORS[number % len(COLORS)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}">{escape(server)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def panel(left: int, field: str, title: str, label, by_key: dict, servers: list[str], sizes: list[int]) -> list[str]:
    values = [row[field] for row in by_key.values() if row.get(field)]
    low = math.floor(math.log10(min(values))) if values else 0
    high = max(low + 1, math.ceil(math.log10(max(values)))) if values else 1
    x0, plot_w, bottom = left + LEFT, PANEL_W - LEFT - 10, TOP + PANEL_H

    def y(value: float) -> float:
        return bottom - (math.log10(value) - low) / (high - low) * PANEL_H

    parts = [f'<text x="{x0}" y="{TOP - 18}" font-size="13" font-weight="bold">{escape(title)}</text>']
    for decade in range(low, high + 1):
        top = y(10**decade)
        parts.append(f'<line x1="{x0}" y1="{top:.1f}" x2="{x0 + plot_w}" y2="{top:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{x0 - 4}" y="{top + 4:.1f}" text-anchor="end">{label(10**decade)}</text>')
    group_w = plot_w / max(1, len(sizes))
    bar_w = group_w * 0.8 / max(1, len(servers))
    for g, size in enumerate(sizes):
        gx = x0 + g * group_w + group_w * 0.1
        parts.append(f'<text x="{gx + group_w * 0.4:.1f}" y="{bottom + 16}" text-anchor="middle">{size} clients</text>')
        for s, server in enumerate(servers):
            row = by_key.get((server, size), {})
            value = row.get(field)
            if not value:
                continue
            bx, top = gx + s * bar_w, max(TOP, y(value))
            stroke = ' stroke="red" stroke-width="2"' if row.get("failed") else ""
            parts.append(
                f'<rect x="{bx:.1f}" y="{top:.1f}" width="{bar_w - 2:.1f}" height="{bottom - top:.1f}" '
                f'fill="{COLORS[s % len(COLORS)]}"{stroke}/>'
            )
            parts.append(
                f'<text x="{bx + bar_w / 2 - 1:.1f}" y="{top - 3:.1f}" text-anchor="middle" font-size="9">'
                f"{label(value)}{' ✗' if row.get('failed') else ''}</text>"
            )
    parts.append(f'<line x1="{x0}" y1="{bottom}" x2="{x0 + plot_w}" y2="{bottom}" stroke="black"/>')
    parts.append(f'<line x1="{x0}" y1="{TOP}" x2="{x0}" y2="{bottom}" stroke="black"/>')
    return parts


def compact(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def ms(value: float) -> str:
    return f"{value:.3g}"
