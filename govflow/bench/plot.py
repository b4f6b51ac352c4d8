"""The history part as a picture: each page's median latency against the finished tasks in the database.

Flat lines are what the partial indexes promise. matplotlib is a benchmark-only dependency
(``requirements-bench.txt``), drawn off-screen (Agg).
"""
from __future__ import annotations

from pathlib import Path

LABELS = {
    "queue": "Department queue (clerk-amr)",
    "my_applications": "My applications (citizen2)",
    "board": "Supervisor board (super-amr)",
    "api_tasks": "API GET /tasks/?queue=department (clerk-amr)",
    "api_applications": "API GET /applications/ (citizen2)",
    "stats_heatmap": "Supervision heatmap (super-amr)",
    "stats_time": "Where time goes (super-amr)",
    "stats_ratings": "Ratings (super-amr)",
}


def draw(history: dict, path: Path) -> None:
    """One line per page: x = finished tasks (symmetric log, so 0 shows), y = median ms; the 15 ms target."""
    rows = history.get("rows") or []
    pages = list(dict.fromkeys(row["page"] for row in rows))
    target = (history.get("target") or {}).get("median_ms", 15.0)
    lines = []
    for page in pages:
        api = page.startswith("api_")
        lines.append((LABELS.get(page, page),
                      sorted((row["finished"], row["median_ms"]) for row in rows if row["page"] == page),
                      {"marker": "s" if api else "o", "linestyle": "--" if api else "-",
                       "linewidth": 1.2 if api else 2}))
    draw_lines(
        path, lines, target=target, target_label=f"Target: median ≤ {target:g} ms",
        xlabel="Finished tasks in the database (viewflow tasks DONE, completed applications)",
        ylabel=f"Median response time, ms ({history.get('requests', 30)} requests)",
        title=f"Page latency vs. history size ({history.get('open_tasks', 0):,} open tasks)")


def draw_lines(path: Path, lines: list[tuple[str, list[tuple[int, float]], dict]], *, target: float,
               target_label: str, xlabel: str, ylabel: str, title: str, headroom: float = 1.2,
               value_format: str = "{:.1f}", legend_size: int = 8) -> None:
    """Response times against the size of the database: one line per ``(label, [(size, ms)], plot
    style)``, each point annotated with its value, on a symmetric log x axis (so 0 shows), and the
    target as a red dotted line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    sizes = sorted({x for _label, points, _style in lines for x, _y in points})
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=120)
    highest = target
    for label, points, style in lines:
        xs, ys = [x for x, _ in points], [y for _, y in points]
        highest = max(highest, *ys)
        ax.plot(xs, ys, label=label, **style)
        for x, y in points:
            ax.annotate(value_format.format(y), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axhline(target, color="red", linestyle=":", linewidth=1.5, label=target_label)

    positive = [s for s in sizes if s > 0]
    ax.set_xscale("symlog", linthresh=min(positive) if positive else 1)
    ax.set_xticks(sizes or [0])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_ylim(0, highest * headroom)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=legend_size, loc="best")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
