"""Benchmarks of the kernel against the real PostgreSQL: `uv run python -m bench --help`."""
