"""What guards the preference pages: the signed link that names one contact, and the limit on
link mails (the form must not become a mail cannon)."""

from __future__ import annotations

import time

from fastapi import Request, Response

from schemas.members import Contact, Organisation
from services.notifier.preferences import PreferenceLinkRefusedError
from services.notifier.web.deps import PreferenceDeps, deps_of, render

# One link mail per address per this many seconds.
LINK_INTERVAL_S = 600.0


def linked_contact(deps: PreferenceDeps, token: str) -> tuple[Organisation, Contact] | str:
    """The contact a link opens, or why its page is refused: forged or expired, gone from the
    directory, or mailed to an address the contact no longer has (not theirs to open now)."""
    try:
        ref = deps.links.read(token)
    except PreferenceLinkRefusedError:
        return "refused"
    found = deps.directory.current().contact(ref.organisation_id, ref.contact_id)
    if found is None:
        return "gone"
    return found if ref.bound_to(found[1].email) else "refused"


def member_of(request: Request, token: str) -> tuple[Organisation, Contact] | Response:
    """The contact a link opens, or the page saying it is refused or its contact gone."""
    found = linked_contact(deps_of(request), token)
    if isinstance(found, str):
        return render(request, token, 404, message=found, form=False)
    return found


def may_mail(deps: PreferenceDeps, address: str) -> bool:
    """Whether an address may be mailed its link now (and, if so, note that it was)."""
    now = time.monotonic()
    last = deps.sent_at.get(address)
    if last is not None and now - last <= LINK_INTERVAL_S:
        return False
    deps.sent_at[address] = now
    return True
