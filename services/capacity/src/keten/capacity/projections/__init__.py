"""The capacity ledger's read models, one module each."""
