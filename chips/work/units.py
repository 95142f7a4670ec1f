"""Units of work and their outcomes, and the runner each kind of job registers.

A unit is plain values (it travels in a Celery message): the job entries it makes (`keys`)
and what its runner needs (`payload`). A runner makes units and yields their outcomes as
they come; it records what it made (chips in the store and the client's cache, signature
rows) before yielding, so a job never closes before its records are in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chips.models import ChipJob, JobKind


@dataclass(frozen=True)
class Unit:
    """One piece of a job's work: a scene's band files to cut, a scene's composite, a
    scene's parcel statistics."""

    kind: JobKind
    keys: tuple[str, ...]  # the job entries it makes (their progress, their errors)
    payload: dict[str, Any]

    def message(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "keys": list(self.keys), "payload": self.payload}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Unit:
        return cls(JobKind(message["kind"]), tuple(message["keys"]), message["payload"])


@dataclass
class Outcome:
    """What a unit gave: {entry key: reason} of the entries it could not make (their date
    is reported, the others stand), and the keys made without a single pixel."""

    failed: dict[str, str] = field(default_factory=dict)
    empty: list[str] = field(default_factory=list)


Reported = list[tuple[Unit, Outcome]]
# A runner makes a job's units (on this process's cut pool when it has several) and yields
# batches of outcomes as they finish; recorded before they are yielded.
Runner = Callable[[ChipJob, Sequence[Unit]], Iterator[Reported]]
_RUNNERS: dict[JobKind, Runner] = {}


def runner(kind: JobKind) -> Callable[[Runner], Runner]:
    """Register the runner of a kind of job (the flows do, on import)."""

    def register(fn: Runner) -> Runner:
        _RUNNERS[kind] = fn
        return fn

    return register


def run(job: ChipJob, units: Sequence[Unit]) -> Iterator[Reported]:
    if not units:
        return iter(())
    kind = units[0].kind
    if kind not in _RUNNERS:
        raise LookupError(f"no runner for {kind} units: its flow module is not imported")
    return _RUNNERS[kind](job, units)
