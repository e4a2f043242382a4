"""Placement's rules as pure functions over state and messages: no I/O, each rule once."""
