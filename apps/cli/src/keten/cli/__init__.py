"""The `keten` command line: a client of the chain like any other (HTTP and Kafka only)."""
