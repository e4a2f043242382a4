"""Comparing two `keten simulate` summaries figure by figure (e2e tests and the chaos runs)."""

from __future__ import annotations

from typing import Any


def figures(summary: dict[str, Any]) -> dict[str, Any]:
    """What a summary says of the chain, leaving out how long it took."""
    return {key: summary[key] for key in ("scenario", "seed", "run_id", "plan", "figures")}


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every figure of a summary by its path, so that two summaries' differences read plainly."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in leaves(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in leaves(item, f"{path}[{i}]").items()
        }
    return {path: value}


def differences(one: dict[str, Any], other: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The figures that differ, by path: (this summary's, the other's)."""
    a, b = leaves(figures(one)), leaves(figures(other))
    return {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
