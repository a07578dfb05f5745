"""Pydantic models built from values already checked, at a fraction of pydantic's cost.

A summary feed brings hundreds of features a minute and a backtest hundreds of thousands;
`model_construct` and `model_copy` walk every field (aliases, defaults, copies) on each call,
which was most of the cost of reading a USGS feature (benchmarks/bench_usgs.py).
`laid` takes a model's whole state at once, in field order: a USGS event, its links, its
place (decision 0745: it replaced `Trusted`, which laid given values over the defaults and
did more work a call for it).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)
# Bound once: a model is built per feature, and the lookup of `object.__setattr__` is a
# noticeable part of building a small one (as is `Model.__new__`, found through the MRO).
_set = object.__setattr__
_new = object.__new__


def laid(
    model: type[_Model], state: dict[str, Any], fields_set: frozenset[str] | None = None
) -> _Model:
    """Build a model from its whole state: every field, in the model's order, each value
    checked by the caller as the model would check it (the tests validate it again).

    `fields_set`: the fields a call of the model with those values would have set, when not
    all of them (defaults laid out too)."""
    built = _new(model)
    _set(built, "__dict__", state)
    _set(built, "__pydantic_fields_set__", set(state if fields_set is None else fields_set))
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
