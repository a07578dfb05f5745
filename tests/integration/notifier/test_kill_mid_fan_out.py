"""A notifier killed with SIGKILL in the middle of a fan-out repeats only the mails in flight.

The real thing: the notifier as a process, the embedded broker, an SMTP server that notes
when each mail arrived. Whatever the server accepted and the notifier had marked `sent`
before the kill must not arrive twice; what was on the wire or accepted in the last
milliseconds (its mark not yet committed) may, with the same Message-ID (decision 0400).
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from services.common.settings import SmtpSettings
from tests.conftest import EmbeddedBroker, free_port
from tests.integration.duty.process import publish
from tests.integration.notifier.harness import activation, directory_yaml
from tests.integration.notifier.process import NotifierProcess
from tests.integration.notifier.smtp_servers import ledger_server
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

CONTACTS = 1000
POOL = 20  # the notifier's default SMTP pool: at most this many mails on the wire


def sent_rows(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=5) as conn:
        try:
            return int(
                conn.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()[0]
            )
        except sqlite3.OperationalError:
            return 0  # not migrated yet


def marked_sent(db: Path) -> set[str]:
    """The recipients whose mail the delivery log holds as `sent`: what a restart must skip."""
    with sqlite3.connect(db, timeout=5) as conn:
        rows = conn.execute("SELECT recipient FROM deliveries WHERE status = 'sent'").fetchall()
    return {str(r[0]) for r in rows}


def test_a_notifier_killed_mid_fan_out_repeats_only_the_mails_in_flight(
    tmp_path: Path, embedded_broker: EmbeddedBroker
) -> None:
    members = tmp_path / "members.yaml"
    members.write_text(
        directory_yaml(
            [
                (f"ok{i:04d}", "en" if i % 2 else "ja", f"ok{i:04d}@members.example.org")
                for i in range(CONTACTS)
            ]
        ),
        encoding="utf-8",
    )
    smtp_port = free_port()
    var = tmp_path / "var"
    alert = activation()
    with ledger_server(smtp_port) as ledger:
        notifier = NotifierProcess(var, embedded_broker.bootstrap, members, smtp_port)
        notifier.start()
        try:
            publish(embedded_broker.bootstrap, alert)
            wait_for(
                lambda: ledger.count() >= CONTACTS // 3,
                timeout=120,
                what="a third of the fan-out",
                every=0.01,
            )
            notifier.kill9()
            killed_at = time.monotonic()
            before_kill = ledger.count()
            marked_at_kill = marked_sent(var / "notifier.db")
            assert before_kill < CONTACTS, "the fan-out ended before the kill"
            notifier.start()
            wait_for(
                lambda: sent_rows(var / "notifier.db") >= CONTACTS,
                timeout=120,
                what=f"every mail marked sent after the restart ({notifier.log()})",
            )
        finally:
            notifier.stop()
        arrivals = ledger.snapshot()

    per_recipient = Counter(rcpt for _, rcpt, _ in arrivals)
    assert len(per_recipient) == CONTACTS, "a contact was never told"
    repeated = {rcpt for rcpt, n in per_recipient.items() if n > 1}
    assert all(per_recipient[r] == 2 for r in repeated)
    first_arrival: dict[str, float] = {}
    ids: dict[str, set[str]] = {}
    for at, rcpt, message_id in arrivals:
        first_arrival.setdefault(rcpt, at)
        ids.setdefault(rcpt, set()).add(message_id)
    # A repeat is the same message: one Message-ID per contact, so a mail client folds it.
    assert all(len(ids[r]) == 1 and "" not in ids[r] for r in repeated)
    # Nothing the log held as sent at the kill came again; what did was accepted but not yet
    # marked (the writer's last group commit) or on the wire (at most one per pooled connection).
    assert not repeated & marked_at_kill, sorted(repeated & marked_at_kill)
    accepted = {rcpt for _, rcpt, _ in arrivals[:before_kill]}
    unmarked = accepted - marked_at_kill
    assert repeated <= unmarked | (set(per_recipient) - accepted)
    assert len(repeated) <= len(unmarked) + POOL
    # However fast the pool: at most `max_unmarked` mails are past their DATA unmarked.
    assert len(repeated) <= SmtpSettings().max_unmarked, sorted(repeated)
    # How fresh the repeats were is a figure to read, not a bound: it depends on the machine.
    stale = sorted(round(killed_at - first_arrival[r], 3) for r in repeated)
    print(
        f"killed after {before_kill} of {CONTACTS} mails, {len(marked_at_kill)} marked sent;"
        f" {len(repeated)} repeated, accepted {stale[0] * 1000 if stale else 0:.0f}-"
        f"{stale[-1] * 1000 if stale else 0:.0f} ms before the kill"
    )
