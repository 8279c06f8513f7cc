"""The router: tier rights, readiness zone caps, confidence gate, red-flag override."""

from josi.routing._route import RouteDecision, message, route
from josi.routing._zones import LEVELS, cap_zone, normalize_level, zone_cap

__all__ = ["LEVELS", "RouteDecision", "cap_zone", "message", "normalize_level", "route", "zone_cap"]
