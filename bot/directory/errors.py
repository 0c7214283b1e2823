"""Errors raised by the NGO directory, under Puente's one hierarchy."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import PuenteError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a directory file, located so an operator can fix it."""

    where: str  # "ngos.yaml row 3 (id 'fcj')" or "ngos.csv line 4"
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.field is None:
            return f"{self.where}: {self.message}"
        return f"{self.where}: field '{self.field}': {self.message}"


class DirectoryError(PuenteError, ValueError):
    """A directory file was refused as a whole; ``problems`` lists every row and field at fault."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
