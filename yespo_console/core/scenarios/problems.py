"""Where a scenario file is wrong: a `Problem` is one mistake with its file line and the path of the
node it concerns (`steps[2].values.product`), and `ScenarioError` gathers every problem of a file,
in line order, so a user mends them all in one go. The loader keeps the line of every key and item
as `marks` (path → line); `line_at` finds the line of a path, or of its nearest marked parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from yespo_console.core.errors import InputError

PathKey = tuple[str | int, ...]


def path_text(path: Iterable[str | int]) -> str:
    """`steps[2].values.product` from ("steps", 2, "values", "product")."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def line_at(marks: Mapping[PathKey, int], path: PathKey) -> int | None:
    """The line of `path`, or of its nearest parent that has one."""
    for end in range(len(path), 0, -1):
        line = marks.get(path[:end])
        if line is not None:
            return line
    return None


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    path: str
    message: str

    def text(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.path}: {self.message}"


class ScenarioError(InputError):
    """A scenario that cannot be used; `problems` has one entry per mistake, with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(problem.text(source) for problem in self.problems))
