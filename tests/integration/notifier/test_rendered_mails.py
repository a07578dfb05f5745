"""The mails the notifier sends stay byte for byte what they were, unless a change means them to.

`rendered_mails.py` renders every kind (alerts, pages, notices, coordination, digests, chat;
ja and en) with the clock stopped, in a process of its own; the SHA-256 of each is compared
with `rendered_mails.sha256`. A change that means to alter a mail regenerates the list
(`STANDBY_UPDATE_RENDERED_MAILS=1` with this test) and reads the mails it wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXPECTED = Path(__file__).with_name("rendered_mails.sha256")


def test_every_kind_of_mail_renders_as_recorded(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "tests.integration.notifier.rendered_mails", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=True,
    )
    rendered = (tmp_path / "SHA256SUMS").read_text(encoding="utf-8")
    if os.environ.get("STANDBY_UPDATE_RENDERED_MAILS") == "1":
        EXPECTED.write_text(rendered, encoding="utf-8")
    expected, found = _sums(EXPECTED.read_text(encoding="utf-8")), _sums(rendered)
    kinds = {key.split(":", 1)[0] for key in found}
    assert kinds >= {"alert", "page", "stood_down", "reminder", "digest"}
    changed = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
    assert changed == [], f"mails that differ (the new ones are in {tmp_path}): {changed}"


def _sums(text: str) -> dict[str, str]:
    """Each delivery key's SHA-256, from `SHA256SUMS` lines (digest, a space, the key)."""
    return {key: digest for digest, key in (line.split(" ", 1) for line in text.splitlines())}
