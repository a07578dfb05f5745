"""Pydantic models built from values already checked, at a fraction of pydantic's cost.

A summary feed brings hundreds of features a minute and a backtest hundreds of thousands;
`model_construct` and `model_copy` walk every field (aliases, defaults, copies) on each call,
which was most of the cost of reading a USGS feature (benchmarks/bench_usgs.py).
For a model of a few fields built per item (a link, a place), `laid` takes the whole state at
once: pydantic-core validates such a model faster than `Trusted` lays it out, and `laid` does
less than either.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)
# Bound once: a model is built per feature, and the lookup of `object.__setattr__` is a
# noticeable part of building a small one.
_set = object.__setattr__


class Trusted(Generic[_Model]):
    """Build a model from values already checked, without pydantic's per-call field walk.

    `model_construct` looks every field up, with its aliases and defaults, on each call: at
    30 fields that is most of the cost of normalising a USGS feature. Here the defaults are
    read once; a call copies them and lays the given values over them (the defaulted lists
    and dicts are new each time). Only for models without aliases, private attributes or
    post-init hooks, and only with values the caller has bounded as the model would: the
    tests validate what is built this way again.
    """

    def __init__(self, model: type[_Model]) -> None:
        fields = model.__pydantic_fields__
        if (
            model.__pydantic_post_init__
            or model.__private_attributes__
            or any(f.alias or f.validation_alias for f in fields.values())
        ):
            raise TypeError(f"{model.__name__} cannot be built as trusted")
        self.model = model
        self.names = frozenset(fields)
        self.base: dict[str, Any] = {}
        self.factories: dict[str, Any] = {}
        for name, info in fields.items():
            if info.default_factory is not None:
                self.factories[name] = info.default_factory
                self.base[name] = None
            else:
                self.base[name] = info.default
        self.required = frozenset(n for n, f in fields.items() if f.is_required())

    def __call__(self, **values: Any) -> _Model:
        names = values.keys()
        if not (self.required <= names <= self.names):
            raise TypeError(f"{self.model.__name__}: {sorted(values)} are not its fields")
        # `{**base, **values}` keeps the fields in the model's order (as model_construct does).
        state = {**self.base, **values}
        for name, factory in self.factories.items():
            if name not in values:
                state[name] = factory()
        built = self.model.__new__(self.model)
        _set(built, "__dict__", state)
        _set(built, "__pydantic_fields_set__", set(names))
        _set(built, "__pydantic_extra__", None)
        _set(built, "__pydantic_private__", None)
        return built


def laid(model: type[_Model], state: dict[str, Any]) -> _Model:
    """Build a small model from its whole state: every field, in the model's order, each value
    checked by the caller as the model would check it (the tests validate it again)."""
    built = model.__new__(model)
    _set(built, "__dict__", state)
    _set(built, "__pydantic_fields_set__", set(state))
    _set(built, "__pydantic_extra__", None)
    _set(built, "__pydantic_private__", None)
    return built


def updated(model: _Model, **changes: Any) -> _Model:
    """A copy of a model with some fields changed, the values as trusted as in `Trusted`."""
    built = type(model).__new__(type(model))
    _set(built, "__dict__", {**model.__dict__, **changes})
    _set(built, "__pydantic_fields_set__", model.__pydantic_fields_set__ | changes.keys())
    _set(built, "__pydantic_extra__", model.__pydantic_extra__)
    _set(built, "__pydantic_private__", model.__pydantic_private__)
    return built
