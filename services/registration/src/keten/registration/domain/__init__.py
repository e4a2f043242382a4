"""Registration's rules: pure functions over a case's state and the messages it receives."""
