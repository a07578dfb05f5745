"""Pydantic models built from values already checked, at a fraction of pydantic's cost.

A summary feed brings hundreds of features a minute and a backtest hundreds of thousands;
`model_construct` and `model_copy` walk every field (aliases, defaults, copies) on each call,
which was most of the cost of reading a USGS feature (benchmarks/bench_usgs.py).
`laid` takes a model's whole state at once, in field order: a USGS event, its links, its
place (decision 0745: it replaced `Trusted`, which laid given values over the defaults and
did more work a call for it). Models laid out alike share one `FieldsSet` (decision 0746).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)
# Bound once: a model is built per feature, and the lookup of `object.__setattr__` is a
# noticeable part of building a small one (as is `Model.__new__`, found through the MRO).
_set = object.__setattr__
_new = object.__new__


class FieldsSet(set[str]):
    """The fields set of every model laid out with the same fields, one object for them all.

    A set of its own for each model was a fifth of the cost of a fresh USGS read (three
    sets an event, the event's of twenty names, each tracked by the garbage collector).
    pydantic takes only a set here (pydantic-core reads it as one), never changes it in
    place on a frozen model, and copies it before changing a copy's (`model_copy`, `copy`):
    those copies are plain sets. Whatever would change it in place raises instead, so that
    no model can change the fields set of another.
    """

    __slots__ = ()

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: Any) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickled, a model holds a plain set of its own, as a validated one does.
        return (set, (list(self),))

    def add(self, element: Any) -> NoReturn:
        raise _shared()

    def discard(self, element: Any) -> NoReturn:
        raise _shared()

    def remove(self, element: Any) -> NoReturn:
        raise _shared()

    def pop(self) -> NoReturn:
        raise _shared()

    def clear(self) -> NoReturn:
        raise _shared()

    def update(self, *others: Iterable[Any]) -> NoReturn:
        raise _shared()

    def difference_update(self, *others: Iterable[Any]) -> NoReturn:
        raise _shared()

    def intersection_update(self, *others: Iterable[Any]) -> NoReturn:
        raise _shared()

    def symmetric_difference_update(self, other: Iterable[Any]) -> NoReturn:
        raise _shared()

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        raise _shared()

    def __iand__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        raise _shared()

    def __isub__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        raise _shared()

    def __ixor__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        raise _shared()


def _shared() -> TypeError:
    return TypeError("the fields set of many models laid out alike: copy it to change it")


def laid(model: type[_Model], state: dict[str, Any], fields_set: FieldsSet) -> _Model:
    """Build a model from its whole state: every field, in the model's order, each value
    checked by the caller as the model would check it (the tests validate it again).

    `fields_set`: the fields a call of the model with those values would have set, shared
    by every model laid out alike."""
    built = _new(model)
    _set(built, "__dict__", state)
    _set(built, "__pydantic_fields_set__", fields_set)
    _set(built, "__pydantic_extra__", None)
    _set(built, "__pydantic_private__", None)
    return built


def updated(model: _Model, **changes: Any) -> _Model:
    """A copy of a model with some fields changed, the values as checked as for `laid`."""
    built = type(model).__new__(type(model))
    _set(built, "__dict__", {**model.__dict__, **changes})
    _set(built, "__pydantic_fields_set__", model.__pydantic_fields_set__ | changes.keys())
    _set(built, "__pydantic_extra__", model.__pydantic_extra__)
    _set(built, "__pydantic_private__", model.__pydantic_private__)
    return built
