"""`standby backtest`: replay saved feed documents through triage, offline, and show every decision."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from schemas.activations import Level
from schemas.hazards import HazardEvent
from services.common.errors import StandbyError
from services.ingester.aliases import AliasBook
from services.tools.documents import Repaired, Unreadable, read_events
from services.tools.fatigue import fatigue_lines
from services.triage.backtest import (
    DecisionLine,
    find_documents,
    in_time_order,
    replay,
)
from services.triage.backtest_summary import Tally
from services.triage.criteria import Criteria, load_criteria
from services.triage.engine import Processed
from services.triage.expectations import load_expectations
from services.triage.facts import Presence
from services.triage.incidents import MergePolicy
from services.triage.lead_times import LeadTimes

# Below this many reports a progress bar would only flicker.
_PROGRESS_FROM = 2_000


class Format(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


# The command's arguments and options, named here so that its signature reads at a glance.
_Documents = Annotated[
    list[Path],
    typer.Argument(help="Saved GDACS RSS/GeoJSON/API or ReliefWeb JSON files or folders."),
]
_Criteria = Annotated[
    Path | None,
    typer.Option(help="Criteria to decide with (default: STANDBY_TRIAGE__CRITERIA_FILE)."),
]
_Candidate = Annotated[
    Path | None,
    typer.Option(help="A candidate criteria file: show only the decisions it would change."),
]
_Members = Annotated[
    Path | None,
    typer.Option(help="Member directory for presence facts (default: STANDBY_MEMBERS_FILE)."),
]
_BroadcastsOnly = Annotated[
    bool, typer.Option("--broadcasts-only", help="Show only decisions that would broadcast.")
]
_Progress = Annotated[
    bool | None, typer.Option(help="Show a progress bar (default: on long runs at a terminal).")
]
_Expectations = Annotated[
    Path | None,
    typer.Option(
        help="CSV of the disasters the platform responded to (event id or GLIDE, or "
        "date/iso3/hazard): prints recall at standby and activate, and the share of "
        "activations responded to. Example: deploy/expectations.example.csv."
    ),
]


def backtest(
    paths: _Documents,
    criteria: _Criteria = None,
    diff: _Candidate = None,
    output: Annotated[Format, typer.Option("--format", help="table or jsonl.")] = Format.TABLE,
    members: _Members = None,
    broadcasts_only: _BroadcastsOnly = False,
    progress: _Progress = None,
    expect: _Expectations = None,
) -> None:
    """Replay saved feed documents through the triage engine, offline, and print each decision."""
    from services.common.commands import fail, load_settings

    # The triage service's module (FastStream, SQLAlchemy): loaded only when replaying, so
    # the `standby` command that lists this one stays light.
    from services.triage.handlers import merge_policy

    settings = load_settings()
    err = Console(stderr=True, highlight=False)
    try:
        base = load_criteria(criteria or settings.triage.criteria_file)
        candidate = load_criteria(diff) if diff else None
        presence = _presence(members, settings.members_file, err)
        documents = find_documents(paths)
        if not documents:
            raise StandbyError("no feed documents found in " + ", ".join(map(str, paths)))
        events = _read(documents, err, show=progress)
        expected = load_expectations(expect) if expect else None
    except StandbyError as error:
        raise fail(error) from error
    policy = merge_policy(
        settings.triage.incident_window_hours, settings.triage.incident_distance_km
    )
    show = progress if progress is not None else (len(events) >= _PROGRESS_FROM and err.is_terminal)
    started = time.perf_counter()
    if candidate is None:
        stats = _print_decisions(
            _tracked(
                replay(events, base, presence=presence, policy=policy), len(events), show, err
            ),
            output,
            broadcasts_only,
            sys.stdout,
        )
    else:
        stats = _print_diff(events, base, candidate, presence, policy, output, show, err)
    elapsed = time.perf_counter() - started
    err.print(_summary(len(documents), len(events), stats, elapsed))
    for line in [
        *stats.tally.lines(expected),
        *fatigue_lines(stats.sent, ZoneInfo(settings.duty.timezone)),
        *stats.leads.lines(),
    ]:
        err.print(line, markup=False, soft_wrap=True)


def _presence(explicit: Path | None, default: Path, err: Console) -> Presence:
    from services.common.members_file import load_member_directory

    path = explicit or default
    if explicit is None and not path.exists():
        err.print(
            f"[yellow]note:[/] {path} not found: deciding as if no member were present anywhere"
        )
        return Presence()
    return Presence.from_directory(load_member_directory(path))


def _read(documents: list[Path], err: Console, *, show: bool | None) -> list[HazardEvent]:
    """Read every document, noting each skipped or repaired one; fail when none was read."""
    skipped: list[Unreadable] = []

    def report(bad: Unreadable) -> None:
        skipped.append(bad)
        err.print(f"[yellow]skipped[/] {bad.path}: {bad.error}", soft_wrap=True)

    def repaired(doc: Repaired) -> None:
        removed = ", ".join(r.value for r in doc.repairs)
        err.print(f"[cyan]read after removing[/] {removed}: {doc.path}", soft_wrap=True)

    if show is None:
        show = len(documents) >= 20 and err.is_terminal
    if not show:
        events = read_events(documents, on_error=report, on_repair=repaired)
    else:
        events = []
        with _bar(err) as bar:
            task = bar.add_task("reading", total=len(documents))
            for doc in documents:
                events.extend(read_events([doc], on_error=report, on_repair=repaired))
                bar.advance(task)
        # Keyed again over all documents: an alias may first appear in a later one.
        events = AliasBook().key_all(in_time_order(events))
    if len(skipped) == len(documents) or not events:
        # Deciding nothing from unreadable input must not look like a quiet past.
        raise StandbyError(f"none of the {len(documents)} document(s) could be read")
    return events


def _bar(err: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def _tracked(
    outcomes: Iterator[Processed], total: int, show: bool, err: Console
) -> Iterator[Processed]:
    if not show:
        yield from outcomes
        return
    with _bar(err) as bar:
        task = bar.add_task("deciding", total=total)
        for i, outcome in enumerate(outcomes, 1):
            yield outcome
            if i % 500 == 0 or i == total:
                bar.update(task, completed=i)


class _Stats:
    def __init__(self) -> None:
        self.levels: Counter[str] = Counter()
        self.broadcasts: Counter[str] = Counter()
        self.incidents: set[str] = set()
        self.changed = 0
        self.candidate_broadcasts: Counter[str] = Counter()
        self.diffing = False
        self.tally = Tally()
        # Each activation that would be published: when it was known, at which level.
        self.sent: list[tuple[datetime, Level]] = []
        self.leads = LeadTimes()

    def count(self, line: DecisionLine) -> None:
        self.levels[line.level.value] += 1
        self.incidents.add(line.incident_id)
        if line.broadcast:
            self.broadcasts[line.level.value] += 1
            self.sent.append((line.known_at, line.level))


def _print_decisions(
    outcomes: Iterable[Processed], output: Format, broadcasts_only: bool, out: TextIO
) -> _Stats:
    stats = _Stats()
    if output is Format.TABLE:
        out.write(_TABLE_HEADER)
    for outcome in outcomes:
        line = DecisionLine.of(outcome)
        stats.count(line)
        stats.tally.add(outcome)
        stats.leads.add(outcome)
        if broadcasts_only and not line.broadcast:
            continue
        if output is Format.JSONL:
            out.write(json.dumps(line.as_json(), ensure_ascii=False) + "\n")
        else:
            out.write(_table_row(line))
    return stats


def _print_diff(
    events: list[HazardEvent],
    base: Criteria,
    candidate: Criteria,
    presence: Presence,
    policy: MergePolicy,
    output: Format,
    show: bool,
    err: Console,
) -> _Stats:
    """Run both criteria in lockstep (merging does not depend on criteria) and show changes."""
    stats = _Stats()
    stats.diffing = True
    before = _tracked(
        replay(events, base, presence=presence, policy=policy), len(events), show, err
    )
    after = replay(events, candidate, presence=presence, policy=policy)
    if output is Format.TABLE:
        sys.stdout.write(_DIFF_HEADER)
    for old_outcome, new_outcome in zip(before, after, strict=True):
        old, new = DecisionLine.of(old_outcome), DecisionLine.of(new_outcome)
        stats.count(old)
        stats.tally.add(old_outcome)
        stats.leads.add(old_outcome)
        if new.broadcast:
            stats.candidate_broadcasts[new.level.value] += 1
        if (old.level, old.score, old.broadcast, old.rules) == (
            new.level,
            new.score,
            new.broadcast,
            new.rules,
        ):
            continue
        stats.changed += 1
        if output is Format.JSONL:
            record = {
                "incident_id": old.incident_id,
                "event": old.event,
                "title": old.title,
                "countries": old.countries,
                "first_seen": old.as_json()["first_seen"],
                "before": _side(old),
                "after": _side(new),
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(_diff_row(old, new))
    return stats


def _side(line: DecisionLine) -> dict[str, object]:
    return {
        "level": line.level.value,
        "score": line.score,
        "broadcast": line.broadcast,
        "rules": line.rules,
        "reasons": line.reasons,
    }


_TABLE_HEADER = (
    f"{'first seen (UTC)':<16}  {'level':<8} {'score':>5}  {'':1} {'after':>6} {'incident':<8}  "
    f"{'countries':<11}  {'event':<26}  title — reasons\n"
)
_DIFF_HEADER = (
    f"{'first seen (UTC)':<16}  {'level before → after':<22} {'score':>11}  {'incident':<8}  "
    f"{'event':<26}  title — rules added (+) / removed (-)\n"
)


def _when(line: DecisionLine) -> str:
    return line.first_seen.strftime("%Y-%m-%d %H:%M") if line.first_seen else "-"


def _table_row(line: DecisionLine) -> str:
    mark = "!" if line.broadcast else " "
    countries = ",".join(line.countries) or "-"
    return (
        f"{_when(line):<16}  {line.level.value:<8} {line.score:>5.0f}  {mark} {_after(line):>6} "
        f"{line.incident_id[:8]}  {countries[:11]:<11}  {line.event[:26]:<26}  {line.title[:70]} — "
        f"{'; '.join(line.reasons)}\n"
    )


def _after(line: DecisionLine) -> str:
    """How long after the event's start this decision could be made (its report was known)."""
    hours = (line.known_at - (line.first_seen or line.event_time)).total_seconds() / 3600
    return f"+{hours:.0f}h" if hours < 48 else f"+{hours / 24:.0f}d"


def _diff_row(old: DecisionLine, new: DecisionLine) -> str:
    levels = f"{old.level.value} → {new.level.value}"
    scores = f"{old.score:.0f} → {new.score:.0f}"
    added = [f"+{r}" for r in new.rules if r not in old.rules]
    removed = [f"-{r}" for r in old.rules if r not in new.rules]
    return (
        f"{_when(old):<16}  {levels:<22} {scores:>11}  {old.incident_id[:8]}  {old.event[:26]:<26}  "
        f"{old.title[:60]} — {' '.join(added + removed) or 'same rules'}\n"
    )


def _summary(documents: int, events: int, stats: _Stats, elapsed: float) -> str:
    rate = events / elapsed if elapsed > 0 else 0.0
    levels = ", ".join(f"{k} {stats.levels[k]:,}" for k in ("none", "watch", "standby", "activate"))
    told = ", ".join(f"{k} {stats.broadcasts[k]:,}" for k in ("watch", "standby", "activate"))
    text = (
        f"{events:,} reports from {documents:,} documents → {len(stats.incidents):,} incidents\n"
        f"decisions: {levels}\n"
        f"activations that would be published (marked !): {told}\n"
    )
    if stats.diffing:
        other = ", ".join(
            f"{k} {stats.candidate_broadcasts[k]:,}" for k in ("watch", "standby", "activate")
        )
        text += f"with the candidate criteria: {stats.changed:,} decisions change; activations: {other}\n"
    return text + f"{elapsed:.2f} s ({rate:,.0f} reports/s)"
