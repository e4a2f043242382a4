"""Results: medians of runs, ratios measured within a run, targets, tables and JSON."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Unit = Literal["ev/s", "cmd/s", "msg/s", "s", "ms", "MiB"]


@dataclass(frozen=True)
class Target:
    """A bound on a row's median (`on="median"`) or on its ratio to the baseline."""

    on: Literal["median", "ratio"]
    at_least: float | None = None
    below: float | None = None

    def met(self, value: float) -> bool:
        if self.at_least is not None and value < self.at_least:
            return False
        return self.below is None or value < self.below

    def text(self, unit: Unit) -> str:
        def show(bound: float) -> str:
            return f"{bound:.2f}x" if self.on == "ratio" else format_value(bound, unit)

        if self.at_least is not None:
            return f">= {show(self.at_least)}"
        assert self.below is not None
        return f"< {show(self.below)}"


@dataclass(frozen=True)
class Row:
    """One case: its value in each run, and optionally its ratio to a baseline in each run
    (both measured in the same run, so the ratio is immune to the machine's drift)."""

    case: str
    unit: Unit
    samples: Sequence[float]
    baseline: str | None = None
    ratios: Sequence[float] = ()
    targets: Sequence[Target] = ()
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def met(self) -> bool | None:
        if not self.targets:
            return None
        ratio = self.ratio
        for target in self.targets:
            value = self.median if target.on == "median" else ratio
            if value is None or not target.met(value):
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "samples": list(self.samples),
            "ratios": list(self.ratios),
            "targets": [asdict(t) for t in self.targets],
            "median": self.median,
            "ratio": self.ratio,
            "met": self.met,
        }


@dataclass
class Table:
    benchmark: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "title": self.title,
            "seconds": self.seconds,
            "notes": self.notes,
            "rows": [row.to_json() for row in self.rows],
        }


def format_value(value: float, unit: Unit) -> str:
    if unit in {"ev/s", "cmd/s", "msg/s"}:
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "MiB":
        return f"{value:,.1f} MiB"
    return f"{value:,.2f} s"


def percentile(samples: Sequence[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))]


def ratios(cases: Sequence[float], baselines: Sequence[float]) -> list[float]:
    """Each run's case divided by the same run's baseline."""
    return [case / base for case, base in zip(cases, baselines, strict=True) if base > 0]


_HEADER = ("case", "median", "runs", "ratio", "vs", "target", "met")
_RIGHT = {1, 2, 3}


def render(table: Table) -> str:
    lines = [[*_HEADER]]
    for row in table.rows:
        ratio = row.ratio
        met = row.met
        lines.append(
            [
                row.case,
                format_value(row.median, row.unit),
                str(len(row.samples)),
                "" if ratio is None else f"{ratio:.2f}x",
                row.baseline or "",
                "; ".join(t.text(row.unit) for t in row.targets),
                "" if met is None else ("yes" if met else "NO"),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADER))]

    def aligned(line: list[str]) -> str:
        cells = [
            cell.rjust(width) if i in _RIGHT else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(aligned(lines[0]))
    out = [f"== {table.title} ({table.seconds:.0f} s)", aligned(lines[0]), rule]
    out += [aligned(line) for line in lines[1:]]
    out += [f"   {note}" for note in table.notes]
    return "\n".join(out)
