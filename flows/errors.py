"""Errors raised by the flows package (only at load time: a running engine never raises)."""


class FlowError(ValueError):
    """A flow file is invalid; the message names the file and the key so an editor can fix it."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")
