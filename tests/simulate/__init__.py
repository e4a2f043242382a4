"""End-to-end checks of `keten simulate` against the real broker and services."""
