"""The router: tier rights, readiness zone caps, confidence gate, red-flag override."""

from josi.routing._contract import ContractReply, coach_contract_reply
from josi.routing._route import RouteDecision, message, route
from josi.routing._zones import LEVELS, cap_zone, normalize_level, zone_cap, zone_order

__all__ = [
    "LEVELS",
    "ContractReply",
    "RouteDecision",
    "cap_zone",
    "coach_contract_reply",
    "message",
    "normalize_level",
    "route",
    "zone_cap",
    "zone_order",
]
