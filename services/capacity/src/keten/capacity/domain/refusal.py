"""How a rule of the ledger refuses a command."""


class Refused(Exception):  # noqa: N818 - a command is refused, this is not a crash
    """A business rule refuses the command. `reason` names the rule and ids, never a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
