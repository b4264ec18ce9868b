"""The plan every contact follows: a scenario's steps flattened into numbered `FlatStep`s, each repeat
expanded into its passes (`iteration` is the pass), each keeping the line it came from. Flattening
also marks every event that no `expect` follows as one that must be accepted, and finds the
`expect` steps that come before any event (or, for an expectation on the account, before any step that names
the contact: an event, a contact or an order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from yespo_console.core.documents import PathKey, line_at
from yespo_console.core.scenarios.account_steps import ContactStep, OrderStep
from yespo_console.core.scenarios.schema import (
    MAX_STEPS,
    BodyStep,
    EventStep,
    Expectation,
    ExpectStep,
    RepeatStep,
    TrackStep,
    WaitStep,
)


@dataclass(frozen=True, slots=True)
class FlatStep:
    """One step of the plan every contact follows, repeats expanded."""

    number: int  # 1-based position in the plan
    kind: Literal["event", "contact", "order", "wait", "expect"]
    title: str
    line: int | None
    path: PathKey
    iteration: int = 1  # the pass of the innermost repeat
    event: EventStep | None = None
    body_file: str | None = None  # for body steps: the key into LoadedScenario.bodies
    track: TrackStep | None = None  # for web tracking events
    contact: ContactStep | None = None
    order: OrderStep | None = None
    wait_s: float = 0.0
    expectation: Expectation | None = None
    implicit_accept: bool = False  # an event with no expect after it: it must be accepted

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"


def count_steps(steps: Iterable[Any]) -> int:
    """The steps of the plan, repeats expanded; counting stops once it is past MAX_STEPS."""
    total = 0
    for step in steps:
        total += step.repeat * count_steps(step.steps) if isinstance(step, RepeatStep) else 1
        if total > MAX_STEPS:
            return total
    return total


def flat_plan(steps: list[Any], marks: Mapping[PathKey, int]) -> tuple[list[FlatStep], list[FlatStep]]:
    """(the plan of a scenario's `steps`, the expect steps that follow no event)."""
    flat: list[FlatStep] = []
    _flatten(steps, ("steps",), marks, flat)
    return _mark_implicit(flat)


def _flatten(steps: list[Any], path: PathKey, marks: Mapping[PathKey, int], out: list[FlatStep],
             iteration: int = 1) -> None:
    for index, step in enumerate(steps):
        here = (*path, index)
        line = line_at(marks, here)
        number = len(out) + 1
        if isinstance(step, EventStep):
            out.append(FlatStep(number, "event", step.title, line, here, iteration, event=step))
        elif isinstance(step, BodyStep):
            out.append(FlatStep(number, "event", step.title, line, here, iteration, body_file=step.body))
        elif isinstance(step, TrackStep):
            out.append(FlatStep(number, "event", step.title, line, here, iteration, track=step))
        elif isinstance(step, ContactStep):
            out.append(FlatStep(number, "contact", step.title, line, here, iteration, contact=step))
        elif isinstance(step, OrderStep):
            out.append(FlatStep(number, "order", step.title, line, here, iteration, order=step))
        elif isinstance(step, WaitStep):
            out.append(FlatStep(number, "wait", f"wait {step.wait:g} s", line, here, iteration, wait_s=step.wait))
        elif isinstance(step, ExpectStep):
            out.append(FlatStep(number, "expect", f"expect {step.expect.describe()}", line, here, iteration,
                                expectation=step.expect))
        elif isinstance(step, RepeatStep):
            for turn in range(1, step.repeat + 1):
                _flatten(step.steps, (*here, "steps"), marks, out, turn)


def _mark_implicit(steps: list[FlatStep]) -> tuple[list[FlatStep], list[FlatStep]]:
    """(the plan with implicit expectations marked, the expect steps that follow no event)."""
    result: list[FlatStep] = []
    orphans: list[FlatStep] = []
    last_event: int | None = None
    explicit = False
    named_contact = False
    for step in steps:
        if step.kind == "event":
            if last_event is not None and not explicit:
                result[last_event] = _with_implicit(result[last_event])
            last_event, explicit = len(result), False
        elif step.kind == "expect":
            assert step.expectation is not None
            if step.expectation.follow is None:
                if last_event is None:
                    orphans.append(step)
                explicit = True  # an expectation on the account leaves the event's own (accepted) in place
            elif not named_contact:
                orphans.append(step)
        named_contact = named_contact or step.kind in ("event", "contact", "order")
        result.append(step)
    if last_event is not None and not explicit:
        result[last_event] = _with_implicit(result[last_event])
    return result, orphans


def _with_implicit(step: FlatStep) -> FlatStep:
    return replace(step, implicit_accept=True)
