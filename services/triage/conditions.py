"""The condition language of `criteria.yaml`: one typed test per fact, strict about its operands.

A rule's `when:` maps fact names (see `facts.FACTS`) to a test. Every test knows how to check
a fact's value and which operands it used, so a fired rule can say exactly why it fired.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.hazards import AlertLevel, FoundBy, HazardType, PagerLevel, Source
from services.common.countries import Income, country_table

T = TypeVar("T")


#: A test bound to its fact: returns whether the fact's value passes.
Check = Callable[[Any], bool]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _known_country(code: str) -> str:
    if code not in country_table():
        raise ValueError(f"unknown ISO3 country code {code!r}")
    return code


def _known_region(name: str) -> str:
    if name not in country_table().region_names:
        raise ValueError(
            f"unknown UN M49 region {name!r} (use names such as 'Asia', 'South-eastern Asia')"
        )
    return name


KnownCountry = Annotated[str, AfterValidator(_known_country)]
RegionName = Annotated[str, AfterValidator(_known_region)]


def _operands(model: BaseModel) -> dict[str, Any]:
    return {
        name: value
        for name, value in model
        if value is not None and not (isinstance(value, list) and not value)
    }


class Test(Strict):
    """A test on one fact; subclasses say what the operands mean."""

    def operands(self) -> dict[str, Any]:
        """Return the operands this test was configured with, by name."""
        return _operands(self)

    def check(self, value: Any) -> bool:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def compile(self) -> Check:
        """Return a fast predicate equivalent to `check` (decisions run it on every report)."""
        return self.check

    @model_validator(mode="after")
    def _not_empty(self) -> Test:
        if not self.operands():
            fields = ", ".join(info.alias or name for name, info in type(self).model_fields.items())
            raise ValueError(f"give at least one of: {fields}")
        return self


class NumberTest(Test):
    """A number within bounds (inclusive)."""

    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _possible(self) -> NumberTest:
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"impossible: at_least {self.at_least} > at_most {self.at_most}")
        return self

    def check(self, value: Any) -> bool:
        if value is None:
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)

    def compile(self) -> Check:
        low = -math.inf if self.at_least is None else self.at_least
        high = math.inf if self.at_most is None else self.at_most
        return lambda value: value is not None and low <= value <= high


class CountTest(NumberTest):
    """A count (people, organisations, sources): never negative."""

    at_least: float | None = Field(default=None, ge=0)
    at_most: float | None = Field(default=None, ge=0)


class _RankedTest(Test):
    """A level of an ordered scale within bounds; subclasses name the scale."""

    levels: ClassVar[tuple[Any, ...]] = ()
    at_least: Any = None
    at_most: Any = None

    @model_validator(mode="after")
    def _possible(self) -> _RankedTest:
        if self.at_least and self.at_most and self.at_least.rank > self.at_most.rank:
            raise ValueError(f"impossible: at_least {self.at_least} > at_most {self.at_most}")
        return self

    def check(self, value: Any) -> bool:
        return self.compile()(value)

    def compile(self) -> Check:
        low = self.at_least.rank if self.at_least else 1
        high = self.at_most.rank if self.at_most else len(self.levels)
        allowed = frozenset(level for level in self.levels if low <= level.rank <= high)
        return allowed.__contains__


class AlertTest(_RankedTest):
    """A source alert level within bounds: green < orange < red."""

    levels: ClassVar[tuple[Any, ...]] = tuple(AlertLevel)
    at_least: AlertLevel | None = None
    at_most: AlertLevel | None = None


class PagerTest(_RankedTest):
    """A USGS PAGER level within bounds: green < yellow < orange < red."""

    levels: ClassVar[tuple[Any, ...]] = tuple(PagerLevel)
    at_least: PagerLevel | None = None
    at_most: PagerLevel | None = None


class SeverityTest(NumberTest):
    """The source's severity value in one unit, e.g. `{unit: km/h, at_least: 120}`."""

    unit: str = Field(min_length=1, description="Unit as the source states it: M, km/h, …")

    def operands(self) -> dict[str, Any]:
        return _operands(self)

    def check(self, value: Any) -> bool:
        return self.compile()(value)

    def compile(self) -> Check:
        in_bounds = NumberTest.compile(self)
        unit = self.unit.casefold()

        def check(value: Any) -> bool:
            return (
                value is not None
                and value[1] is not None
                and value[1].casefold() == unit
                and in_bounds(value[0])
            )

        return check

    @model_validator(mode="after")
    def _has_bound(self) -> SeverityTest:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least or at_most with the unit")
        return self


class ChoiceTest(Test, Generic[T]):
    """A single value in (or not in) a list."""

    in_: list[T] = Field(default_factory=list, alias="in")
    not_in: list[T] = Field(default_factory=list)

    @model_validator(mode="after")
    def _possible(self) -> ChoiceTest[T]:
        both = set(self.in_) & set(self.not_in)
        if both:
            raise ValueError(f"impossible: {sorted(map(str, both))} both in and not_in")
        return self

    def operands(self) -> dict[str, Any]:
        return {("in" if k == "in_" else k): v for k, v in _operands(self).items()}

    def check(self, value: Any) -> bool:
        return self.compile()(value)

    def compile(self) -> Check:
        allowed = frozenset(self.in_) if self.in_ else None
        refused = frozenset(self.not_in)

        def check(value: Any) -> bool:
            if value is None or value in refused:
                return False
            return allowed is None or value in allowed

        return check


class SetTest(Test, Generic[T]):
    """A set of values (countries, regions, income groups, sources) against lists."""

    any_of: list[T] = Field(default_factory=list, description="At least one is affected.")
    all_of: list[T] = Field(default_factory=list, description="Every one is affected.")
    none_of: list[T] = Field(default_factory=list, description="None is affected.")
    only: list[T] = Field(default_factory=list, description="Everything affected is in the list.")

    @model_validator(mode="after")
    def _possible(self) -> SetTest[T]:
        clash = set(self.none_of) & (set(self.any_of) | set(self.all_of) | set(self.only))
        if clash:
            raise ValueError(f"impossible: {sorted(map(str, clash))} both required and excluded")
        if self.only and self.all_of and not set(self.all_of) <= set(self.only):
            raise ValueError("impossible: all_of names values outside only")
        return self

    def check(self, value: Any) -> bool:
        return self.compile()(value)

    def compile(self) -> Check:
        any_of, all_of = frozenset(self.any_of), frozenset(self.all_of)
        none_of, only = frozenset(self.none_of), frozenset(self.only)

        def check(value: Any) -> bool:
            values: frozenset[Any] = value
            if not values:
                return False
            if any_of and values.isdisjoint(any_of):
                return False
            if all_of and not values >= all_of:
                return False
            if none_of and not values.isdisjoint(none_of):
                return False
            return not (only and not values <= only)

        return check


class FlagTest(Test):
    """A yes/no fact; written in YAML simply as `domestic: true`."""

    equals: bool

    def check(self, value: Any) -> bool:
        return value is not None and bool(value) is self.equals

    def compile(self) -> Check:
        expected = self.equals
        return lambda value: value is not None and bool(value) is expected

    def operands(self) -> dict[str, Any]:
        return {"equals": self.equals}


def _flag(value: Any) -> Any:
    return {"equals": value} if isinstance(value, bool) else value


Flag = Annotated[FlagTest, Field(description="true or false")]


_FLAGS = (
    "priority_region", "domestic", "is_current", "country_unresolved",
    "pager_reviewed", "pager_pending", "tsunami",
)  # fmt: skip


class Conditions(Strict):
    """Facts and their tests; all must pass. Facts are described in `facts.FACTS`."""

    hazard: ChoiceTest[HazardType] | None = None
    alert_level: AlertTest | None = None
    episode_alert_level: AlertTest | None = None
    alert_score: NumberTest | None = None
    severity: SeverityTest | None = None
    population_exposed: CountTest | None = None
    deaths: CountTest | None = None
    displaced: CountTest | None = None
    affected: CountTest | None = None
    countries: SetTest[KnownCountry] | None = None
    country_unresolved: Flag | None = None
    countries_found_by: SetTest[FoundBy] | None = None
    regions: SetTest[RegionName] | None = None
    income: SetTest[Income] | None = None
    priority_region: Flag | None = None
    domestic: Flag | None = None
    members_present: CountTest | None = None
    source_count: CountTest | None = None
    sources: SetTest[Source] | None = None
    reliefweb_status: ChoiceTest[str] | None = None
    is_current: Flag | None = None
    pager_alert: PagerTest | None = None
    pager_fatality_alert: PagerTest | None = None
    pager_economic_alert: PagerTest | None = None
    pager_reviewed: Flag | None = None
    pager_pending: Flag | None = None
    max_mmi: NumberTest | None = None
    tsunami: Flag | None = None
    significance: CountTest | None = None
    usgs_status: ChoiceTest[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _flags_as_booleans(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: _flag(v) if k in _FLAGS else v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> Conditions:
        if not self.tests():
            raise ValueError("a condition block needs at least one fact to test")
        return self

    def tests(self) -> dict[str, Test]:
        """Return the tests configured, by fact name."""
        return {name: test for name, test in self if isinstance(test, Test)}
