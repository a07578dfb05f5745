"""Duty's message handlers: thin shells around the repository, one unit of work each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from schemas.activations import Activation
from schemas.deliveries import Delivery
from schemas.responses import RollCallStep, StepAction
from services.common.unit_of_work import Work
from services.duty.clock import EscalationClock
from services.duty.repository import EscalationRepository
from services.duty.states import Action
from services.duty.timeline import record_delivery, record_rollcall_step


class DutyHandlers:
    """What duty does with an activation and with a delivery report."""

    def __init__(
        self,
        work: Work,
        duty: EscalationRepository,
        escalation_clock: EscalationClock,
        clock: Callable[[], datetime],
    ) -> None:
        self.work = work
        self.duty = duty
        self.escalation_clock = escalation_clock
        self.clock = clock

    async def on_activation(self, activation: Activation) -> None:
        """Store an activation and page step 0 in the same unit of work; a withdrawal ends the
        incident's escalation."""
        async with self.work() as work:
            if not await work.claim(activation):
                return
            if activation.retracted:
                work.add(await self.duty.withdraw(work.session, activation, self.clock()))
                return
            work.add(await self.duty.record_activation(work.session, activation, self.clock()))
            work.after_commit(self.escalation_clock.kick)

    async def on_delivery(self, delivery: Delivery) -> None:
        """Keep the newest state of a delivery for the console's timeline."""
        async with self.work() as work:
            if await work.claim(delivery):
                await record_delivery(work.session, delivery)

    async def on_rollcall_step(self, step: RollCallStep) -> None:
        """Keep a step of an incident's roll-call for the timeline of its activations; a
        programme launched or closed on the board moves the activation's state with it."""
        async with self.work() as work:
            if not await work.claim(step):
                return
            await record_rollcall_step(work.session, step)
            action = _PROGRAMME_ACTIONS.get(step.action)
            if action is None or step.programme is None:
                return
            names = (step.programme.name_ja, step.programme.name_en)
            work.add(
                await self.duty.follow_programme(
                    work.session, step.activation_id, action, step.officer_id, names, self.clock()
                )
            )


_PROGRAMME_ACTIONS = {
    StepAction.PROGRAMME_LAUNCHED: Action.LAUNCH,
    StepAction.PROGRAMME_CLOSED: Action.CLOSE,
}
