"""A member alert composed as the notifier composes it, for tests that read its mails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.activations import Activation
from schemas.deliveries import DeliveryKind
from schemas.members import Contact, Language, MemberDirectory, Organisation
from services.common.settings import NotifierSettings
from services.notifier.compose import Composer, Target
from services.notifier.jobs import Job
from services.notifier.personal import Personal
from services.notifier.rendering import Rendered


def alert_jobs(
    activation: Activation,
    targets: list[Target],
    rendered: dict[Language, Rendered],
    scope: str = "alert:x",
) -> list[Job]:
    """Every job (each contact's email and chat posts) of the activation's member alert."""
    batch = Composer(NotifierSettings()).compose(
        scope=scope,
        kind=DeliveryKind.MEMBER_ALERT,
        activation_id=str(activation.activation_id),
        incident_id=str(activation.incident_id),
        targets=targets,
        rendered=rendered,
        roots={},
    )
    return batch.jobs


def contact_target(
    directory: MemberDirectory,
    org_id: str,
    contact_id: str,
    personal: Callable[[Organisation, Contact], Personal | None],
    **more: Any,
) -> Target:
    """A contact of the directory as a target in its own language, with its own block."""
    found = directory.contact(org_id, contact_id)
    assert found is not None, f"{org_id}/{contact_id} is not in the directory"
    org, contact = found
    return Target(
        ref=f"{org.id}/{contact.id}",
        organisation_id=org.id,
        contact_id=contact.id,
        name=contact.name,
        language=contact.language,
        email=contact.email,
        personal=personal(org, contact),
        **more,
    )
