"""Registration's read models, one module each."""
