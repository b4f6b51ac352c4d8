"""Catalog: divisions and offices, departments, shared field/material dictionaries, procedures, one things.

One module per part: ``organisation`` (departments, divisions, offices and their webhooks),
``procedures`` (the dictionaries, procedures, one things, steps and published versions) and
``calendar`` (working-day exceptions). Every name is importable from ``govflow.catalog.models``
(Django finds the models here; migrations name the validators by this path), and so is
``localized``, which the interfaces import from here.
"""
from ..labels import localized
from .calendar import CalendarDay
from .organisation import (
    LEVEL_ORDER,
    MIN_WEBHOOK_SECRET_LENGTH,
    Department,
    Division,
    DivisionLevel,
    Named,
    Office,
    check_webhook,
    http_webhooks_allowed,
    level_rank,
    received_by,
    validate_webhook_secret,
    validate_webhook_url,
    webhook_target,
)
from .procedures import (
    ApplicantKind,
    DeferralClock,
    DeferralOnMissed,
    DeliveryMethod,
    Field,
    FieldType,
    Material,
    OneThing,
    OneThingVersion,
    Output,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    Step,
    validate_commitment,
    validate_physical_results,
)

__all__ = [
    "LEVEL_ORDER", "MIN_WEBHOOK_SECRET_LENGTH", "ApplicantKind", "CalendarDay", "DeferralClock", "DeferralOnMissed",
    "DeliveryMethod", "Department", "Division", "DivisionLevel", "Field", "FieldType", "Material", "Named",
    "Office", "OneThing", "OneThingVersion", "Output", "Procedure", "ProcedureField", "ProcedureMaterial", "Step",
    "check_webhook", "http_webhooks_allowed", "level_rank", "localized", "received_by", "validate_commitment",
    "validate_physical_results", "validate_webhook_secret", "validate_webhook_url", "webhook_target",
]
