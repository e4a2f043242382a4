"""A command that a rule of registration refuses."""


class Refused(Exception):  # noqa: N818 - a refusal by a rule, not a crash
    """`reason` names the rule and the case, never personal data: it ends up in a dead letter's
    headers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
