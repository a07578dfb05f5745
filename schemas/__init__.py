"""The wire contract of standby: one pydantic model per message, one module per topic family."""

from schemas.acks import AckEvent, AckState, AckVia
from schemas.activations import Activation, Level, Reason
from schemas.base import Message
from schemas.deliveries import Channel, Delivery, DeliveryKind, DeliveryStatus
from schemas.dlq import DeadLetter
from schemas.hazards import AlertLevel, HazardEvent, HazardType, Link, Measure, Source
from schemas.pages import Page
from schemas.topics import ACKS, ACTIVATIONS, ALL_TOPICS, DELIVERIES, HAZARDS, PAGES, dlq

__all__ = [
    "ACKS",
    "ACTIVATIONS",
    "ALL_TOPICS",
    "DELIVERIES",
    "HAZARDS",
    "PAGES",
    "AckEvent",
    "AckState",
    "AckVia",
    "Activation",
    "AlertLevel",
    "Channel",
    "DeadLetter",
    "Delivery",
    "DeliveryKind",
    "DeliveryStatus",
    "HazardEvent",
    "HazardType",
    "Level",
    "Link",
    "Measure",
    "Message",
    "Page",
    "Reason",
    "Source",
    "dlq",
]
