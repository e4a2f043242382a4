"""`keten simulate`: a realistic stream of commands, as COA, the IND and municipalities send them.

The simulator is a client of the chain like any other: it publishes CloudEvents to the command
topics and reads the outbound topics and the query API. It is built in two halves:

- a pure, deterministic generator (`generator.generate`): scenario parameters and a seed in, a
  time-ordered plan of commands out, with no clock and no I/O;
- a publisher (`publisher.publish`) that stamps each command with its simulated time, paces the
  plan by `--speed`, and lets the chain catch up after every phase of every simulated day, so
  that commands that compete for the same places or quota are applied in a known order.
"""
