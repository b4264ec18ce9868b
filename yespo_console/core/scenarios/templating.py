"""Templates in scenario files: `{{email}}`, `{{uuid}}`, `{{now -2h}}`, `{{random_int 1 100}}`.

Syntax. Anything between `{{` and `}}` is an expression; everything else is kept as written.

    {{ name }}                      a variable (scenario `variables`, `--var`, a CSV column, the built-ins)
    {{ func arg arg ... }}          a built-in function; an argument is a bare word or a quoted 'text'
    {{ name | filter | filter }}    filters applied left to right
    {{ "text" }}                    a literal: `{{ "{{" }}` writes two braces

Built-in variables: `contact_index` (1-based row of the contact), `iteration` (the pass of the
innermost `repeat`, 1 outside one), `run_id`. Functions: `uuid`, `now [±N(s|m|h|d|w)]` (ISO 8601,
UTC), `today [±Nd]`, `timestamp` (epoch milliseconds), `random_int A B`, `random_float A B
[DIGITS]`, `random_choice A B ...`. Filters: `number`, `int`, `str`, `lower`, `upper`, `trim`.

Types survive when a string is exactly one expression: `price: "{{random_float 10 99}}"` renders a
number, not text, so the inspector sees what Yespo would. Mixed text renders as text.

Templates are parsed once (`parse_template`, cached); `TemplateError` carries the column of the
mistake, and scenario loading turns it into a file line.
"""

from __future__ import annotations

import difflib
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from yespo_console.core.durations import parse_duration
from yespo_console.core.errors import InputError

OPEN = "{{"
CLOSE = "}}"

#: Variables the runner always provides.
RUNTIME_VARIABLES: frozenset[str] = frozenset({"contact_index", "iteration", "run_id"})

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


class TemplateError(InputError):
    """A template that cannot be parsed or rendered. `column` is 1-based in the template text."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message if self.column is None else f"{self.message} (column {self.column})"


def is_variable_name(name: str) -> bool:
    return bool(_NAME_RE.match(name))


# -- functions and filters -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Function:
    min_args: int
    max_args: int | None  # None: any number
    usage: str
    call: Callable[[RenderContext, tuple[str, ...]], Any]
    check: Callable[[tuple[str, ...]], None] | None = None  # argument checks that need no context


def _int_arg(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise TemplateError(f"{what} must be a whole number, not {text!r}") from None


def _float_arg(text: str, what: str) -> float:
    if not _NUMBER_RE.match(text) or not math.isfinite(float(text)):
        raise TemplateError(f"{what} must be a finite number, not {text!r}")
    return float(text)


def _offset(args: tuple[str, ...], function: str) -> timedelta:
    if not args:
        return timedelta()
    try:
        return parse_duration(args[0], signed=True)
    except ValueError:
        raise TemplateError(f"{function}: the offset must look like -2h, +30m, -1d or +1w, not {args[0]!r}") from None


def _check_range(args: tuple[str, ...], parse: Callable[[str, str], float], function: str) -> tuple[float, float]:
    low, high = parse(args[0], f"{function}: the lower bound"), parse(args[1], f"{function}: the upper bound")
    if low > high:
        raise TemplateError(f"{function}: the lower bound {args[0]} is above the upper bound {args[1]}")
    return low, high


def _random_int(ctx: RenderContext, args: tuple[str, ...]) -> int:
    low, high = _check_range(args, _int_arg, "random_int")
    return ctx.rng.randint(int(low), int(high))


def _float_digits(args: tuple[str, ...]) -> int:
    if len(args) < 3:
        return 2
    digits = _int_arg(args[2], "random_float: the number of decimals")
    if not 0 <= digits <= 10:
        raise TemplateError("random_float: the number of decimals must be between 0 and 10")
    return digits


def _random_float(ctx: RenderContext, args: tuple[str, ...]) -> float:
    low, high = _check_range(args, _float_arg, "random_float")
    return round(ctx.rng.uniform(low, high), _float_digits(args))


def _check_random_float(args: tuple[str, ...]) -> None:
    _check_range(args, _float_arg, "random_float")
    _float_digits(args)


def _shifted(ctx: RenderContext, args: tuple[str, ...], function: str) -> datetime:
    try:
        return (ctx.clock() + _offset(args, function)).astimezone(UTC)
    except OverflowError:
        raise TemplateError(f"{function}: the offset {args[0]} leaves the calendar (years 1 to 9999)") from None


def _now(ctx: RenderContext, args: tuple[str, ...]) -> str:
    return _shifted(ctx, args, "now").isoformat(timespec="seconds").replace("+00:00", "Z")


def _today(ctx: RenderContext, args: tuple[str, ...]) -> str:
    return _shifted(ctx, args, "today").date().isoformat()


def _check_now(args: tuple[str, ...]) -> None:
    _offset(args, "now")


def _check_today(args: tuple[str, ...]) -> None:
    _offset(args, "today")


def _check_random_int(args: tuple[str, ...]) -> None:
    _check_range(args, _int_arg, "random_int")


FUNCTIONS: dict[str, _Function] = {
    "uuid": _Function(0, 0, "uuid", lambda ctx, args: str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))),
    "now": _Function(0, 1, "now [-2h|+30m|-1d]", _now, _check_now),
    "today": _Function(0, 1, "today [-1d]", _today, _check_today),
    "timestamp": _Function(0, 0, "timestamp", lambda ctx, args: int(ctx.clock().timestamp() * 1000)),
    "random_int": _Function(2, 2, "random_int LOW HIGH", _random_int, _check_random_int),
    "random_float": _Function(2, 3, "random_float LOW HIGH [DECIMALS]", _random_float, _check_random_float),
    "random_choice": _Function(1, None, "random_choice A B C ...", lambda ctx, args: ctx.rng.choice(args)),
}


def _to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    if not _NUMBER_RE.match(text):
        raise TemplateError(f"number: {text!r} is not a number")
    if re.fullmatch(r"[+-]?\d{1,300}", text):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise TemplateError(f"number: {text!r} is too large for JSON")
    return number


def _to_int(value: Any) -> int:
    number = _to_number(value)
    if isinstance(number, float) and not number.is_integer():
        raise TemplateError(f"int: {value!r} is not a whole number")
    return int(number)


def text_of(value: Any) -> str:
    """A rendered value as text: strings as they are, numbers, booleans, null, lists and objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


FILTERS: dict[str, Callable[[Any], Any]] = {
    "number": _to_number,
    "int": _to_int,
    "str": text_of,
    "lower": lambda value: text_of(value).lower(),
    "upper": lambda value: text_of(value).upper(),
    "trim": lambda value: text_of(value).strip(),
}

RESERVED_NAMES: frozenset[str] = frozenset(FUNCTIONS) | RUNTIME_VARIABLES


# -- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expression:
    column: int  # 1-based column of the opening braces
    head: str
    literal: bool  # the head is a quoted literal
    args: tuple[str, ...]
    filters: tuple[str, ...]

    @property
    def variable(self) -> str | None:
        """The variable this expression reads, or None for a function or a literal."""
        if self.literal or self.head in FUNCTIONS:
            return None
        return self.head


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[str | Expression, ...]  # the text between expressions, and the expressions

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(p.variable for p in self.parts if isinstance(p, Expression) and p.variable is not None)


def _tokens(source: str, column: int) -> Iterator[tuple[str, bool]]:
    """(token, quoted) pairs of an expression body; `|` is its own token."""
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char.isspace():
            index += 1
        elif char == "|":
            yield "|", False
            index += 1
        elif char in "'\"":
            end = source.find(char, index + 1)
            if end < 0:
                raise TemplateError(f"unclosed quote {char} in {{{{{source}}}}}", column)
            yield source[index + 1 : end], True
            index = end + 1
        else:
            start = index
            while index < length and not source[index].isspace() and source[index] not in "|'\"":
                index += 1
            yield source[start:index], False


def _expression(source: str, column: int) -> Expression:
    tokens = list(_tokens(source, column))
    if not tokens:
        raise TemplateError("empty {{ }}: write a variable name, e.g. {{email}}", column)
    segments: list[list[tuple[str, bool]]] = [[]]
    for token in tokens:
        if token == ("|", False):
            segments.append([])
        else:
            segments[-1].append(token)
    first, *filter_segments = segments
    if not first:
        raise TemplateError("a filter needs a value before it: {{name | upper}}", column)
    (head, quoted), *arg_tokens = first
    args = tuple(text for text, _ in arg_tokens)
    filters: list[str] = []
    for segment in filter_segments:
        if len(segment) != 1 or segment[0][1]:
            raise TemplateError("after | write one filter name: " + ", ".join(sorted(FILTERS)), column)
        name = segment[0][0]
        if name not in FILTERS:
            raise TemplateError(f"unknown filter {name!r}{_suggest(name, FILTERS)}; filters: "
                                + ", ".join(sorted(FILTERS)), column)
        filters.append(name)
    if quoted:
        if args:
            raise TemplateError('a quoted literal takes no arguments: {{ "text" }}', column)
        return Expression(column, head, True, (), tuple(filters))
    function = FUNCTIONS.get(head)
    if function is not None:
        too_few = len(args) < function.min_args
        too_many = function.max_args is not None and len(args) > function.max_args
        if too_few or too_many:
            raise TemplateError(f"{head} takes {_arity(function)}: {{{{{function.usage}}}}}", column)
        if function.check is not None:
            try:
                function.check(args)
            except TemplateError as exc:
                raise TemplateError(exc.message, column) from None
        return Expression(column, head, False, args, tuple(filters))
    if not is_variable_name(head):
        raise TemplateError(f"{head!r} is not a variable name (letters, digits and _, not starting with a digit)",
                            column)
    if args:
        hint = _suggest(head, FUNCTIONS)
        raise TemplateError(f"{head} is a variable, not a function, so it takes no arguments{hint}", column)
    return Expression(column, head, False, (), tuple(filters))


def _arity(function: _Function) -> str:
    if function.max_args is None:
        return f"at least {function.min_args} argument(s)"
    if function.min_args == function.max_args:
        return "no arguments" if function.max_args == 0 else f"{function.max_args} argument(s)"
    return f"{function.min_args} to {function.max_args} arguments"


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@lru_cache(maxsize=4096)
def parse_template(text: str) -> Template:
    """The template in `text`; TemplateError for a malformed expression."""
    if OPEN not in text:
        return Template((text,) if text else ())
    parts: list[str | Expression] = []
    index = 0
    while True:
        start = text.find(OPEN, index)
        if start < 0:
            if index < len(text):
                parts.append(text[index:])
            break
        if start > index:
            parts.append(text[index:start])
        end, quote = _closing(text, start + len(OPEN))
        if end < 0:
            open_quote = f" (the quote {text[quote]} at column {quote + 1} is not closed)" if quote >= 0 else ""
            raise TemplateError(f"'{{{{' is never closed with '}}}}'{open_quote}", start + 1)
        parts.append(_expression(text[start + len(OPEN) : end], start + 1))
        index = end + len(CLOSE)
    return Template(tuple(parts))


def _closing(text: str, index: int) -> tuple[int, int]:
    """(index of the `}}` closing an expression, or -1; where an unclosed quote starts, or -1)."""
    quote = -1
    while index < len(text):
        char = text[index]
        if quote >= 0:
            if char == text[quote]:
                quote = -1
        elif char in "'\"":
            quote = index
        elif text.startswith(CLOSE, index):
            return index, -1
        index += 1
    return -1, quote


# -- rendering -------------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RenderContext:
    """What a template sees: the variables, a random source (seed it for repeatable runs), a clock."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], datetime] = _utc_now

    def child(self, **extra: Any) -> RenderContext:
        return RenderContext({**self.variables, **extra}, self.rng, self.clock)


def unknown_variable_error(name: str, known: Iterable[str], column: int | None = None) -> TemplateError:
    names = sorted(set(known) - RUNTIME_VARIABLES)
    listed = ", ".join(names) if names else "none"
    hint = _suggest(name, [*names, *FUNCTIONS])
    return TemplateError(
        f"unknown variable {name!r}{hint}; known variables: {listed} (give it under `variables`, "
        f"with --var {name}=..., or as a CSV column)", column)


def _evaluate(expression: Expression, ctx: RenderContext) -> Any:
    if expression.literal:
        value: Any = expression.head
    elif expression.head in FUNCTIONS:
        try:
            value = FUNCTIONS[expression.head].call(ctx, expression.args)
        except TemplateError as exc:
            raise TemplateError(exc.message, expression.column) from None
    elif expression.head in ctx.variables:
        value = ctx.variables[expression.head]
    else:
        raise unknown_variable_error(expression.head, ctx.variables, expression.column)
    for name in expression.filters:
        try:
            value = FILTERS[name](value)
        except TemplateError as exc:
            raise TemplateError(exc.message, expression.column) from None
    return value


def render_template(template: Template, ctx: RenderContext) -> Any:
    """A string, or the value itself when the template is exactly one expression."""
    if len(template.parts) == 1 and isinstance(template.parts[0], Expression):
        return _evaluate(template.parts[0], ctx)
    return "".join(part if isinstance(part, str) else text_of(_evaluate(part, ctx)) for part in template.parts)


def render_text(text: str, ctx: RenderContext) -> Any:
    return render_template(parse_template(text), ctx)


def render_value(value: Any, ctx: RenderContext) -> Any:
    """Every string in a JSON-like value rendered (dict keys too); other values unchanged."""
    if isinstance(value, str):
        return render_text(value, ctx) if OPEN in value else value
    if isinstance(value, dict):
        return {text_of(render_value(key, ctx)): render_value(item, ctx) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, ctx) for item in value]
    return value


def strings_in(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string in a JSON-like value (keys included) with its path, for checking templates."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from strings_in(item, (*path, key if isinstance(key, str | int) else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*path, index))
