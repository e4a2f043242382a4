"""Placement's read models, each built from its store's events alone (rebuildable, as-of)."""
