"""YAML and JSON documents read with the line of every key and item, so a mistake in a scenario or a profile
is reported as `file:line: path: message`.

A `Problem` is one mistake with its line and the path of the node it concerns (`steps[2].values.product`);
`DocumentError` gathers every problem of a file, in line order. The reader keeps the line of every key and
item as `marks` (path → line); `line_at` finds the line of a path, or of its nearest marked parent. YAML is
read safely: no tags beyond plain data, no implicit dates, duplicate keys and self-referring or exploding
aliases refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from yespo_console.core.errors import InputError

_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_MAX_NODES = 1_000_000  # YAML aliases can expand a small file enormously ("billion laughs")

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


class DocumentError(InputError):
    """A document that cannot be used; `problems` has one entry per mistake, with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(problem.text(source) for problem in self.problems))


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit dates: `2025-06-01` stays text, as it would in JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Builder:
    """Plain Python data from a YAML node tree, noting the line of every key and item."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.marks: dict[PathKey, int] = {}
        self.problems: list[Problem] = []
        self.nodes = 0

    def build(self, node: yaml.Node, path: PathKey, stack: tuple[int, ...] = ()) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _TooBig
        if id(node) in stack:
            self.problems.append(Problem(node.start_mark.line + 1, path_text(path), "an alias refers to itself"))
            return None
        stack = (*stack, id(node))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:  # `!!python/…` and the like
            self.problems.append(Problem(node.start_mark.line + 1, path_text(path),
                                         f"the tag {node.tag!r} is not allowed: plain data only"))
            return None
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves `<<: *defaults` merges
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(Problem(line, path_text(path), "a key must be plain text"))
                    continue
                key = key_node.value  # keys are text, as in JSON: `200:` or `yes:` stay as written
                if key in result:
                    self.problems.append(Problem(line, path_text((*path, key)),
                                                 f"{key!r} appears twice (line {self.marks[(*path, key)]} and here)"))
                    continue
                self.marks[(*path, key)] = line
                result[key] = self.build(value_node, (*path, key), stack)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.marks[(*path, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, index), stack))
            return items
        return self.loader.construct_object(node, deep=True)


class _TooBig(Exception):
    pass


def _yaml_error(source: str, exc: yaml.YAMLError) -> DocumentError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        message += f" at column {mark.column + 1}"
    return DocumentError(source, [Problem(line, "(file)", message)])


def load_yaml(text: str, source: str) -> tuple[Any, dict[PathKey, int]]:
    """The document and the line of each key and item; DocumentError when it is not YAML."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise DocumentError(source, [Problem(line, "(file)", f"not valid YAML: the control character U+{code:04X} is "
                                             "not allowed in a YAML file")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError(source, [Problem(1, "(file)", "the file is empty")])
        builder = _Builder(loader)
        data = builder.build(node, ())
    except yaml.YAMLError as exc:
        raise _yaml_error(source, exc) from None
    except _TooBig:
        raise DocumentError(source, [Problem(None, "(file)", "its aliases expand to too much data")]) from None
    except RecursionError:
        raise DocumentError(source, [Problem(None, "(file)", "it is nested too deeply")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise DocumentError(source, builder.problems)
    return data, builder.marks


def load_document(text: str, source: str, *, is_json: bool) -> tuple[Any, dict[PathKey, int]]:
    if not is_json:
        return load_yaml(text, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(source, [Problem(exc.lineno, "(file)", f"not valid JSON: {exc.msg} at column "
                                             f"{exc.colno}")]) from None
    except RecursionError:
        raise DocumentError(source, [Problem(None, "(file)", "it is nested too deeply")]) from None
    try:
        marked, marks = load_yaml(text, source)  # JSON is (almost always) YAML: that gives the lines
    except DocumentError:
        return data, {}
    return (marked, marks) if marked == data else (data, {})
