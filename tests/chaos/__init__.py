"""Faults injected into a running chain during a simulation, and a checker of what survives
them: `make chaos` (the campaign) and `tests/chaos/test_chaos.py` (its slice in `make test`)."""
