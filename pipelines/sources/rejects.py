"""Rejected inputs: which input, what kind of problem, and a reason a person understands.

Every input of a pipeline ends either as written pairs or as exactly one :class:`Reject`, which
goes to ``rejects.jsonl``. Expected problems are raised as :class:`RejectError` (or blurgen's
``ImageError``) by the code that finds them; anything else is caught by Beam's dead-letter output
and reported as ``"error"`` with the exception, so a bug costs one input, not the run.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from blurgen.images import ImageError

# Kinds of rejects, in the order they are reported.
UNREADABLE = "unreadable"
EMPTY = "empty"
TRUNCATED = "truncated"
NOT_AN_IMAGE = "not an image"
TOO_SMALL = "too small"
SIZES_DIFFER = "sizes differ"
ORIENTATION_DIFFERS = "orientation differs"
PARTNER_MISSING = "partner missing"
DUPLICATE = "duplicate"
MALFORMED = "malformed"
TOO_SHORT = "too short"  # a clip with fewer frames than one window
BAD_FRAME = "bad frame"  # a window holding a frame that cannot be decoded
SCENE_CUT = "scene cut"  # a window spanning a cut between two shots
GHOSTING = "ghosting"  # a window whose frames would average to copies of moving things, not blur
ERROR = "error"
KINDS = (UNREADABLE, EMPTY, TRUNCATED, NOT_AN_IMAGE, TOO_SMALL, SIZES_DIFFER, ORIENTATION_DIFFERS,
         PARTNER_MISSING, DUPLICATE, MALFORMED, TOO_SHORT, BAD_FRAME, SCENE_CUT, GHOSTING, ERROR)


class RejectError(ValueError):
    """An input that cannot be used; ``kind`` is one of :data:`KINDS`, the message names the input."""

    def __init__(self, kind: str, message: str):
        if kind not in KINDS:  # pragma: no cover - our own invariant
            raise AssertionError(f"unknown reject kind {kind!r}")
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, order=True)
class Reject:
    """One line of ``rejects.jsonl``: the input's path, the kind of problem, the full reason."""

    path: str
    kind: str
    reason: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)


def image_error_kind(exc: ImageError) -> str:
    """The reject kind of one of blurgen's ``ImageError`` messages."""
    text = str(exc)
    if "empty file" in text:
        return EMPTY
    if "truncated" in text:
        return TRUNCATED
    if "cannot be read" in text:
        return UNREADABLE
    return NOT_AN_IMAGE


def reject_from(path: str, exc: BaseException) -> Reject:
    """The :class:`Reject` for an exception raised while processing the input at ``path``."""
    if isinstance(exc, RejectError):
        return Reject(path, exc.kind, str(exc))
    if isinstance(exc, ImageError):
        return Reject(path, image_error_kind(exc), str(exc))
    if isinstance(exc, (OSError, IOError)):
        return Reject(path, UNREADABLE, f"{path}: cannot be read ({exc}); check the path and permissions")
    return Reject(path, ERROR, f"{path}: unexpected error {exc!r}; please report it with this file")


def from_dead_letter(path: str, error: tuple) -> Reject:
    """The :class:`Reject` for an element of Beam's dead-letter output, ``(exc_type, repr, traceback)``."""
    exc_type, exc_repr = error[0], error[1]
    name = getattr(exc_type, "__name__", str(exc_type))
    return Reject(path, ERROR, f"{path}: unexpected {name} while processing: {exc_repr}; please report it with this file")


def count_by_kind(rejects: list[Reject]) -> dict[str, int]:
    counts = {k: 0 for k in KINDS}
    for r in rejects:
        counts[r.kind] += 1
    return {k: n for k, n in counts.items() if n}
