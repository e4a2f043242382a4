"""The summary as tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table


def _n(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1%}"
    return f"{value:,}"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def header(summary: dict[str, Any]) -> Panel:
    window = summary["window"]
    scale = summary["scale"]
    commands = summary["figures"]["commands"]
    factor = round(1 / scale)
    dead = sum(commands["dead_lettered"].values())
    lines = [
        f"[bold]{summary['scenario']}[/bold], seed {summary['seed']}, run id {summary['run_id']}",
        (
            f"simulated {window['from']} to {window['to']}, "
            f"the population present built up from {window['run_in_from']}"
        ),
        (
            f"scale 1:{factor}: every count of persons and places is {scale:g} of the public "
            f"figure; multiply by {factor} to compare"
        ),
        (
            f"{commands['published']:,} commands published in "
            f"{summary['run']['wall_seconds']:.0f} s; dead-lettered: {dead}; housing reports "
            f"without a pairing: {commands['housing_reports_without_pairing']}"
        ),
    ]
    return Panel("\n".join(lines), title="keten simulate")


def occupancy_tables(occupancy: dict[str, Any]) -> list[Table]:
    provinces = Table(title="Occupancy by province (the run's locations) against capacity")
    for column in (
        "province",
        "locations",
        "places",
        "occupied",
        "free",
        "utilisation",
        "reception target",
    ):
        provinces.add_column(column, justify="left" if column == "province" else "right")
    for row in occupancy["by_province"]:
        provinces.add_row(
            row["province"],
            _n(row["locations"]),
            _n(row["capacity"]),
            _n(row["occupied"]),
            _n(row["free"]),
            _share(row["occupied"], row["capacity"]),
            _n(row["reception_target"]),
        )
    total = occupancy["total"]
    provinces.add_row(
        "total",
        _n(total["locations"]),
        _n(total["capacity"]),
        _n(total["occupied"]),
        _n(total["capacity"] - total["occupied"]),
        _share(total["occupied"], total["capacity"]),
        "",
        style="bold",
    )
    types = Table(title="Occupancy by type of location")
    for column in ("type", "locations", "places", "occupied", "free", "utilisation"):
        types.add_column(column, justify="left" if column == "type" else "right")
    for row in occupancy["by_type"]:
        types.add_row(
            row["type"],
            _n(row["locations"]),
            _n(row["capacity"]),
            _n(row["occupied"]),
            _n(row["free"]),
            _share(row["occupied"], row["capacity"]),
        )
    return [provinces, types]


def national_line(occupancy: dict[str, Any]) -> str:
    total = occupancy["total"]
    return (
        f"National: {total['occupied']:,} persons in reception, ≈ {total['full_scale_occupied']:,} "
        f"at full scale against COA's stable stock of {total['stable_stock']:,} "
        f"({_share(total['full_scale_occupied'], total['stable_stock'])}); "
        f"{total['over_capacity_locations']} location(s) over capacity."
    )


def quota_table(period: str, table: dict[str, Any]) -> Table:
    columns = (
        "quota",
        "backlog",
        "obligation",
        "paired",
        "housed",
        "awaiting",
        "remaining",
        "balance",
    )
    shown = Table(title=f"Housing quota {period} by province (persons)")
    shown.add_column("province")
    for column in columns:
        shown.add_column(column, justify="right")
    for row in table["rows"]:
        shown.add_row(row["province"], *(_n(row[c]) for c in columns))
    shown.add_row("total", *(_n(table["total"][c]) for c in columns), style="bold")
    return shown


def housing_times_table(times: dict[str, Any]) -> Table:
    shown = Table(title="Housed per half year: weeks from permit to home")
    for column in ("period", "households", "persons", "mean weeks", "p90 weeks", "within 14 weeks"):
        shown.add_column(column, justify="left" if column == "period" else "right")
    for period, row in times.items():
        mean, p90 = row["mean_weeks_from_permit"], row["p90_weeks_from_permit"]
        shown.add_row(
            period,
            _n(row["households"]),
            _n(row["persons"]),
            "-" if mean is None else f"{mean:.1f}",
            "-" if p90 is None else f"{p90:.1f}",
            _n(row["share_housed_within_14_weeks_of_pairing"]),
        )
    return shown


def waiting_table(waiting: dict[str, Any]) -> Table:
    shown = Table(title="Permit holders waiting in reception (paired, not housed)")
    for column in ("deadline", "households", "persons"):
        shown.add_column(column, justify="left" if column == "deadline" else "right")
    for status in ("open", "approaching", "overdue"):
        shown.add_row(status, _n(waiting[status]["households"]), _n(waiting[status]["persons"]))
    shown.add_row(
        "total", _n(waiting["total"]["households"]), _n(waiting["total"]["persons"]), style="bold"
    )
    return shown


def overdue_line(overdue: dict[str, Any]) -> str:
    return (
        f"Overdue list as of {overdue['as_of']}: {overdue['households']:,} households, "
        f"{overdue['persons']:,} persons; the longest {overdue['longest_days_overdue']} days "
        "past the 14 weeks."
    )


def alerts_table(alerts: dict[str, int]) -> Table:
    shown = Table(title="Alerts raised for the run's cases and locations")
    shown.add_column("kind")
    shown.add_column("count", justify="right")
    for kind, count in alerts.items():
        shown.add_row(kind, _n(count))
    shown.add_row("total", _n(sum(alerts.values())), style="bold")
    return shown


def render(summary: dict[str, Any], console: Console) -> None:
    figures = summary["figures"]
    parts: list[Any] = [header(summary), *occupancy_tables(figures["occupancy"])]
    parts.append(national_line(figures["occupancy"]))
    parts.extend(quota_table(p, t) for p, t in figures["quota"].items())
    parts.append(housing_times_table(figures["housing_times"]))
    parts.append(waiting_table(figures["waiting"]))
    parts.append(overdue_line(figures["overdue"]))
    parts.append(alerts_table(figures["alerts"]))
    plan = summary["plan"]
    parts.append(
        f"The plan expected {plan['occupied_at_end']:,} persons in reception at the end, "
        f"{plan['waiting_at_end']:,} of them permit holders waiting, "
        f"{plan['overdue_households_at_end']:,} households overdue."
    )
    parts.extend(f"[red]dead letter[/red] {r}" for r in summary["run"]["dead_letter_reasons"])
    console.print(Group(*parts))
