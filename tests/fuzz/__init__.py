"""Fuzzing the chain: mutated CloudEvents of every command, with valid sentinels between them."""
