"""Chat and SMS through Apprise: one notification to one URL (Slack, Teams, LINE, Telegram, …)."""

from __future__ import annotations

import asyncio

import apprise

from services.common.errors import DeliveryError


class ChatChannel:
    """Send a short text to an Apprise URL; the URL is a secret and never appears in errors."""

    def __init__(self, timeout_s: float = 15.0) -> None:
        self.timeout_s = timeout_s
        self.asset = apprise.AppriseAsset(app_id="standby", app_desc="standby alerts")

    async def send(self, url: str, title: str, body: str) -> None:
        """Notify one URL; raise DeliveryError (permanent when the URL itself is invalid)."""
        notifier = apprise.Apprise(asset=self.asset)
        if not notifier.add(url):
            raise DeliveryError("invalid or unsupported Apprise URL", permanent=True)
        for service in notifier:
            # Apprise spaces notifications to one service 5.5 s apart by default; each of
            # our objects sends once, so the throttle would only add latency.
            service.request_rate_per_sec = 0
        service_name = getattr(notifier[0], "service_name", "apprise")
        try:
            result = await asyncio.wait_for(
                notifier.async_notify(title=title, body=body), self.timeout_s
            )
        except TimeoutError as err:
            raise DeliveryError(f"{service_name}: timed out", permanent=False) from err
        if not result:
            raise DeliveryError(f"{service_name}: notification not accepted", permanent=False)
