"""Server-side SVG charts: geometry and the grid, bars and ticks computed here, the figure around
them in `templates/usage/_bar_chart.html`. The marks are built here in one go because a template
loop costs tens of microseconds per value, and a month has dozens of bars of six values each.

Floats appear only as pixel positions; the values shown in labels stay Decimal-formatted.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

GRID_LINE = (
    '<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#dde2ea" stroke-width="1"/>\n'
    '<text x="%s" y="%s" dy="3.5" text-anchor="end" font-size="11" fill="#5b6475">%s</text>'
)
BAR = '<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s" rx="1.5"><title>%s</title></rect>'
TICK = '<text x="%s" y="%s" text-anchor="middle" font-size="11" fill="#5b6475">%s</text>'

WIDTH, HEIGHT = 640, 190
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 26
GRID_LINES = 4


def grid_divisions(top):
    """How many equal steps split the axis into round numbers: 25 → 5 (of 5), 2 → 4 (of 0.5)."""
    mantissa = round(top / 10 ** math.floor(math.log10(top)), 6)
    return 5 if mantissa in (2.5, 5) else GRID_LINES


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ value (an axis top people can read)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _axis_label(value):
    return f"{value:g}" if value >= 1 or value == 0 else f"{value:.2g}"


def bar_chart(days, *, field, label, unit, color, chart_id):
    """A bar per day of `days` ([{"date", field: Decimal}]) with a y axis and day ticks."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [float(day[field]) for day in days]
    top = nice_ceiling(max(values, default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.72, 1.0)
    bars = []
    for index, (day, value) in enumerate(zip(days, values)):
        height = plot_h * value / top
        bars.append({
            "x": round(LEFT + index * slot + (slot - bar_w) / 2, 2), "y": round(TOP + plot_h - height, 2),
            "w": round(bar_w, 2), "h": round(height, 2),
            "title": f"{day['date']:%b} {day['date'].day}: {day[field]:.2f} {unit}",
        })
    steps = grid_divisions(top)
    grid = [
        {"y": round(TOP + plot_h - plot_h * k / steps, 2), "label": _axis_label(top * k / steps)}
        for k in range(steps + 1)
    ]
    ticks = [
        {"x": round(LEFT + index * slot + slot / 2, 2), "text": str(day["date"].day)}
        for index, day in enumerate(days)
        if index == 0 or index == len(days) - 1 or (day["date"].day % 5 == 0 and len(days) - 1 - index > 1)
    ]
    # Positions are numbers and labels are made here from numbers; only the tooltips and colour
    # are escaped, as the template would.
    fill = escape(color)
    marks = [GRID_LINE % (LEFT, WIDTH - RIGHT, line["y"], line["y"], LEFT - 6, line["y"], line["label"]) for line in grid]
    marks += [BAR % (bar["x"], bar["y"], bar["w"], bar["h"], fill, escape(bar["title"])) for bar in bars]
    marks += [TICK % (tick["x"], HEIGHT - 8, tick["text"]) for tick in ticks]
    return {
        "id": chart_id, "label": label, "unit": unit, "color": color, "width": WIDTH, "height": HEIGHT,
        "left": LEFT, "right": WIDTH - RIGHT, "baseline": TOP + plot_h, "tick_y": HEIGHT - 8,
        "bars": bars, "grid": grid, "ticks": ticks,
        "marks_svg": mark_safe("\n".join(marks)),  # noqa: S308 - numbers, and texts escaped above
        "total": sum((day[field] for day in days), 0),
    }
