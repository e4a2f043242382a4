"""The run's figures, per command topic and per variant, what counts as a violation, and the
tables that show them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from tests.fuzz.checker import Leaks, Published, Tables, outcomes
from tests.fuzz.links import Readiness

STAGES = ("decode", "validate", "business")


@dataclass(frozen=True)
class SentinelResult:
    description: str
    seconds: float | None  # None: not in effect within the wait


@dataclass
class TopicFigures:
    topic: str
    published: int
    fuzzed: int
    intact: int
    outcomes: Counter[str]
    not_in_dlq: int
    sentinels: list[SentinelResult]
    not_ready: int
    refused_intact: list[str] = field(default_factory=list)
    unaccounted: list[str] = field(default_factory=list)

    @property
    def late(self) -> int:
        return sum(s.seconds is None for s in self.sentinels)

    @property
    def slowest(self) -> float:
        return max((s.seconds for s in self.sentinels if s.seconds is not None), default=0.0)


@dataclass
class Report:
    seed: int
    run: str
    topics: list[TopicFigures]
    by_variant: dict[str, Counter[str]]
    readiness: Readiness
    leaks: Leaks
    seconds: dict[str, float]

    def violations(self) -> list[str]:
        found: list[str] = []
        for t in self.topics:
            found.extend(
                f"{t.topic}: {t.outcomes[what]} records {what}"
                for what in ("unaccounted", "lost letter")
                if t.outcomes[what]
            )
            if t.not_in_dlq:
                found.append(f"{t.topic}: {t.not_in_dlq} dead letters not in {t.topic}.dlq")
            if t.late:
                found.append(f"{t.topic}: {t.late} sentinels not in effect in time")
            if t.refused_intact:
                found.append(
                    f"{t.topic}: {len(t.refused_intact)} valid records refused at the door"
                )
        for service, polls in sorted(self.readiness.not_ready.items()):
            problems = "; ".join(sorted(self.readiness.problems[service]))
            found.append(f"{service}: /ready not 200 in {polls} polls ({problems[:300]})")
        if self.leaks.total:
            found.append(f"{self.leaks.total} personal markers in plain text")
        return found


def figures(  # noqa: PLR0917 - what one topic's figures are made of, in order
    topic: str,
    published: Sequence[Published],
    tables: Tables,
    in_dlq: set[tuple[int, int]],
    sentinels: list[SentinelResult],
    readiness: Readiness,
) -> tuple[TopicFigures, dict[str, Counter[str]]]:
    found = outcomes(published, tables)
    reused = {p.record.reused_id for p in published if p.record.reused_id}
    fuzzed = [p for p in published if p.record.sentinel is None]
    result = TopicFigures(
        topic,
        len(published),
        len(fuzzed),
        sum(p.record.intact for p in fuzzed),
        Counter(found),
        sum(position not in in_dlq for position in tables.letters),
        sentinels,
        readiness.not_ready[topic.split(".", maxsplit=1)[0]],
    )
    by_variant: dict[str, Counter[str]] = {}
    for item, outcome in zip(published, found, strict=True):
        record = item.record
        by_variant.setdefault(record.variant, Counter())[outcome] += 1
        if outcome in ("unaccounted", "lost letter"):
            result.unaccounted.append(
                f"{outcome}: {record.type_name} {record.kinds} at {item.position}, "
                f"id {record.message_id!r}, {(record.wire.value or b'')[:200]!r}"
            )
        # A valid record whose id another one took may rightly be refused as the reused one.
        if record.intact and record.message_id not in reused and outcome in STAGES[:2]:
            letter = tables.letters[item.position]
            result.refused_intact.append(
                f"{record.type_name} {record.kinds} at {item.position}: "
                f"{letter.stage} {letter.error_type}: {letter.reason}"
            )
    return result, by_variant


def show(report: Report, console: Console | None = None) -> None:
    console = console or Console(width=160)
    table = Table(title=f"keten fuzz: seed {report.seed}, run {report.run}")
    for column in (
        "topic",
        "published",
        "intact",
        *STAGES,
        "applied",
        "duplicate",
        "unaccounted",
        "not in .dlq",
        "sentinels ok",
        "slowest s",
        "/ready ≠ 200",
        "leaked in .dlq",
    ):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for t in report.topics:
        leaked = report.leaks.dead_letter_topics[t.topic + ".dlq"]
        table.add_row(
            t.topic,
            f"{t.published:,}",
            f"{t.intact:,}",
            *(f"{t.outcomes[s]:,}" for s in STAGES),
            f"{t.outcomes['applied']:,}",
            f"{t.outcomes['duplicate']:,}",
            f"{t.outcomes['unaccounted'] + t.outcomes['lost letter']:,}",
            f"{t.not_in_dlq:,}",
            f"{len(t.sentinels) - t.late}/{len(t.sentinels)}",
            f"{t.slowest:.1f}",
            f"{t.not_ready}",
            f"{leaked}",
        )
    console.print(table)
    kinds = Table(title="outcome by variant (all topics)")
    columns = ("applied", *STAGES, "duplicate", "unaccounted", "lost letter")
    kinds.add_column("variant")
    for column in columns:
        kinds.add_column(column, justify="right")
    for variant, counts in sorted(report.by_variant.items()):
        kinds.add_row(variant, *(f"{counts[c]:,}" for c in columns))
    console.print(kinds)
    _summary(report, console)


def _summary(report: Report, console: Console) -> None:
    leaks = report.leaks
    console.print(
        "personal markers in plain text: "
        f"dead-letter topics {sum(leaks.dead_letter_topics.values())}, "
        f"other output topics {sum(leaks.other_topics.values())}, "
        f"dead-letter table {leaks.dead_letter_table}, log lines {sum(leaks.logs.values())}"
    )
    for example in leaks.examples[:10]:
        console.print(f"  {example}", markup=False, highlight=False)
    for t in report.topics:
        for lost in t.unaccounted[:5]:
            console.print(f"  {t.topic}: {lost}", markup=False, highlight=False)
        for refused in t.refused_intact[:5]:
            console.print(f"  refused valid record: {refused}", markup=False, highlight=False)
    seconds = ", ".join(f"{step} {value:.0f} s" for step, value in report.seconds.items())
    console.print(f"/ready polled {report.readiness.polls} times; {seconds}")
    violations = report.violations()
    console.print(f"violations: {len(violations)}")
    for violation in violations:
        console.print(f"  {violation}", markup=False, highlight=False)


def merge(counts: Sequence[Mapping[str, Counter[str]]]) -> dict[str, Counter[str]]:
    merged: dict[str, Counter[str]] = {}
    for part in counts:
        for variant, counter in part.items():
            merged.setdefault(variant, Counter()).update(counter)
    return merged
