"""Keten's published language; importing it registers every command and event."""

from keten.contracts import alerts, capacity, housing, placement, registration

__all__ = ["alerts", "capacity", "housing", "placement", "registration"]
