"""The capacity ledger's rules: pure decide and evolve functions over plain state, no I/O."""
