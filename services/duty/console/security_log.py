"""The security log page: the console's audit trail, for officers with the director role."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.duty.console import audit
from services.duty.console.auth import OfficerDep
from services.duty.console.deps import ConsoleDeps, render

router = APIRouter(include_in_schema=False)


@router.get("/security")
async def security_log(request: Request, officer: OfficerDep) -> Response:
    """List the newest security events; only directors may read who tried what."""
    deps: ConsoleDeps = request.app.state.deps
    found = deps.rota().officer(officer)
    if found is None or not found.is_director:
        context = {"message_key": "forbidden_director"}
        return render(request, "message.html", context, status_code=403)
    async with deps.db.sessions() as session:
        rows = await audit.recent(session)
    return render(request, "security.html", {"events": rows})
