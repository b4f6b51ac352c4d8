"""The step diagram of a one thing, drawn on the server as SVG (no JavaScript, no library): this
module computes the layout, the template ``admin/catalog/diagram.svg`` writes the SVG.

Layered layout, left to right: a step's column is its dependency depth (0 without ``after``,
else one more than its deepest prerequisite), so every arrow points right. Within a column,
steps are ordered by the average row of their prerequisites (the barycentre heuristic), which
keeps most arrows short and uncrossed for the small graphs one things are. Each box shows the
procedure's name, its department and its committed working days; a conditional step carries its
``when``. Steps on the critical path are drawn in red, steps that do not apply to a dry run's
answers are greyed out and dashed.

The picture is an illustration: the page that shows it also lists the steps as a table, which
is what screen readers get (the SVG has ``role="img"`` and a title describing it).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govflow.catalog.design import critical_path, step_layers
from govflow.catalog.drafts import after_of, by_code, steps_of
from govflow.catalog.models import localized

__all__ = ["Box", "layout", "step_diagram"]

BOX_WIDTH = 224
BOX_HEIGHT = 84
COLUMN_GAP = 64
ROW_GAP = 22
MARGIN = 16
FONT_SIZE = 13
SMALL_FONT_SIZE = 11
LINE_HEIGHT = 16
TEXT_PADDING = 10

COLOURS = {
    "stroke": "#417690",  # the admin's own blue
    "critical": "#ba2121",
    "muted": "#666666",  # 5.7:1 on white
    "skipped_fill": "#f2f2f2",
    "text": "#1f1f1f",
}
ARROW_COLOURS = {"normal": COLOURS["stroke"], "critical": COLOURS["critical"], "muted": COLOURS["muted"]}


@dataclass
class Box:
    code: str
    column: int
    row: int
    name: str
    department: str
    days: int
    when: str
    critical: bool
    applies: bool | None  # None: no dry run

    @property
    def x(self) -> int:
        return MARGIN + self.column * (BOX_WIDTH + COLUMN_GAP)

    @property
    def y(self) -> int:
        return MARGIN + self.row * (BOX_HEIGHT + ROW_GAP)


def _char_width(char: str, size: int) -> float:
    return size * (1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.58)


def _fit(text: str, width: float, size: int, lines: int) -> list[str]:
    """Break ``text`` into at most ``lines`` lines of ``width`` pixels; the last one ends in "…"."""
    out: list[str] = []
    current = ""
    used = 0.0
    for char in text:
        w = _char_width(char, size)
        if used + w > width:
            if len(out) == lines - 1:
                while current and used + _char_width("…", size) > width:
                    used -= _char_width(current[-1], size)
                    current = current[:-1]
                out.append(current.rstrip() + "…")
                return out
            # Prefer to break latin text at the last space.
            cut = current.rfind(" ")
            if cut > 0 and unicodedata.east_asian_width(char) not in ("W", "F"):
                out.append(current[:cut])
                current = current[cut + 1:]
            else:
                out.append(current)
                current = ""
            used = sum(_char_width(c, size) for c in current)
        current += char
        used += w
    if current or not out:
        out.append(current)
    return out


def layout(doc: dict, *, applicable: Iterable[str] | None = None) -> list[Box]:
    """Boxes with their column and row; ``applicable`` marks a dry run's steps."""
    steps = []
    seen: set[str] = set()
    for step in steps_of(doc):
        if step["procedure"] not in seen:
            seen.add(step["procedure"])
            steps.append(step)
    procedures = by_code(doc, "procedures")
    departments = by_code(doc, "departments")
    depth = step_layers(doc)
    _days, chain = critical_path(doc)
    critical = set(chain)
    applies = set(applicable) if applicable is not None else None

    columns: dict[int, list[dict]] = {}
    for step in steps:
        columns.setdefault(depth.get(step["procedure"], 0), []).append(step)
    rows: dict[str, int] = {}
    boxes: list[Box] = []
    for column in sorted(columns):
        members = columns[column]
        if column:
            def centre(step: dict) -> float:
                prereqs = [rows[p] for p in after_of(step) if p in rows]
                return sum(prereqs) / len(prereqs) if prereqs else 0.0

            members = sorted(members, key=centre)  # stable: ties keep the step order
        for row, step in enumerate(members):
            code = step["procedure"]
            rows[code] = row
            procedure = procedures.get(code, {})
            department = departments.get(procedure.get("department"), {})
            days = procedure.get("committed_days")
            boxes.append(Box(
                code=code, column=column, row=row,
                name=localized(procedure.get("name")) if isinstance(procedure.get("name"), dict) else code,
                department=localized(department.get("name")) if isinstance(department.get("name"), dict)
                else str(procedure.get("department") or ""),
                days=days if isinstance(days, int) and not isinstance(days, bool) else 0,
                when=step.get("when") if isinstance(step.get("when"), str) else "",
                critical=code in critical and len(chain) > 0,
                applies=None if applies is None else code in applies,
            ))
    return boxes


def _text(x: float, y: float, lines: list[str], *, size: int, fill: str, weight: str = "normal") -> dict:
    return {"x": round(x), "y": round(y), "lines": lines, "size": size, "fill": fill, "weight": weight}


def _arrow(source: Box, box: Box, critical_edges: set[tuple[str, str]]) -> dict:
    """A prerequisite's arrow: a cubic curve from the right edge of ``source`` to the left of ``box``."""
    x1, y1 = source.x + BOX_WIDTH, source.y + BOX_HEIGHT / 2
    x2, y2 = box.x, box.y + BOX_HEIGHT / 2
    bend = max(COLUMN_GAP / 2, (x2 - x1) / 2)
    if (source.code, box.code) in critical_edges:
        kind, width = "critical", 2.5
    elif box.applies is False or source.applies is False:
        kind, width = "muted", 1.2
    else:
        kind, width = "normal", 1.5
    return {"x1": round(x1), "y1": round(y1), "c1": round(x1 + bend), "c2": round(x2 - bend), "x2": round(x2),
            "y2": round(y2), "kind": kind, "colour": ARROW_COLOURS[kind], "width": width, "dashed": kind == "muted"}


def _box(box: Box) -> dict:
    """A step's box: its colours, its tooltip and its three texts broken into lines that fit."""
    skipped = box.applies is False
    text_colour = COLOURS["muted"] if skipped else COLOURS["text"]
    days = ngettext("%(days)d working day", "%(days)d working days", box.days) % {"days": box.days}
    tooltip = [box.name, box.department, days]
    if box.when:
        tooltip.append(_("when %(rule)s") % {"rule": box.when})
    if box.applies is not None:
        tooltip.append(_("applies to these answers") if box.applies else _("does not apply to these answers"))
    inner = BOX_WIDTH - 2 * TEXT_PADDING
    x = box.x + TEXT_PADDING
    name_lines = _fit(box.name, inner, FONT_SIZE, 2)
    y = box.y + 8 + FONT_SIZE + LINE_HEIGHT * len(name_lines)
    footer = days
    if box.when:
        footer += " · " + _("if %(rule)s") % {"rule": box.when}
    return {
        "code": box.code, "x": box.x, "y": box.y, "tooltip": " · ".join(tooltip), "dashed": skipped,
        "fill": COLOURS["skipped_fill"] if skipped else "#ffffff",
        "stroke": COLOURS["critical"] if box.critical and not skipped else (
            COLOURS["muted"] if skipped else COLOURS["stroke"]),
        "width": 2.5 if box.critical and not skipped else 1.5,
        "texts": [
            _text(x, box.y + 8 + FONT_SIZE, name_lines, size=FONT_SIZE, fill=text_colour, weight="600"),
            _text(x, y, _fit(box.department, inner, SMALL_FONT_SIZE, 1), size=SMALL_FONT_SIZE,
                  fill=COLOURS["muted"] if not skipped else text_colour),
            _text(x, box.y + BOX_HEIGHT - 9, _fit(footer, inner, SMALL_FONT_SIZE, 1), size=SMALL_FONT_SIZE,
                  fill=text_colour),
        ],
    }


def step_diagram(doc: dict, *, applicable: Iterable[str] | None = None, title: str = "") -> SafeString:
    """The SVG of the document's steps (an empty string when it has none): the layout is
    computed here, the markup is ``admin/catalog/diagram.svg``."""
    boxes = layout(doc, applicable=applicable)
    if not boxes:
        return mark_safe("")
    by_code = {b.code: b for b in boxes}
    _days, chain = critical_path(doc)
    critical_edges = set(zip(chain, chain[1:], strict=False))
    arrows = []
    for box in boxes:
        step = next((s for s in steps_of(doc) if s["procedure"] == box.code), {})
        for prerequisite in after_of(step):
            source = by_code.get(prerequisite)
            if source is not None and source is not box:
                arrows.append(_arrow(source, box, critical_edges))
    return render_to_string("admin/catalog/diagram.svg", {
        "width": MARGIN * 2 + (max(b.column for b in boxes) + 1) * (BOX_WIDTH + COLUMN_GAP) - COLUMN_GAP,
        "height": MARGIN * 2 + (max(b.row for b in boxes) + 1) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP,
        "title": title or _("Steps of the one thing and their dependencies"),
        "markers": list(ARROW_COLOURS.items()), "arrows": arrows, "boxes": [_box(box) for box in boxes],
        "box_width": BOX_WIDTH, "box_height": BOX_HEIGHT, "line_height": LINE_HEIGHT,
    })
