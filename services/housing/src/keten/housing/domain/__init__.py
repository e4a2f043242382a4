"""Housing's domain: pure rules over state and messages, no I/O."""
