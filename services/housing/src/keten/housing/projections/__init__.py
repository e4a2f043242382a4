"""Housing's read models, each rebuildable from the event store."""
