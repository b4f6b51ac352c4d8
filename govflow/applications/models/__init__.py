"""The applications domain's tables, one module a subject; every model is importable from here
(Django finds an app's models in ``<app>.models``; migrations name ``document_upload_to`` and
``data_export_upload_to`` here).

- :mod:`.core`: applications, their cases and statuses;
- :mod:`.contents`: documents, outputs, deliveries, corrections, ratings, the timeline, counter look-ups;
- :mod:`.instruments`: electronic certificates, the refusal list, commitments and their verification;
- :mod:`.proactive`: offers and grants;
- :mod:`.privacy`: access records, alerts and anchors, data exports, purge records.
"""
from .contents import (
    ContactChannel,
    CorrectionRequest,
    CounterLookup,
    CounterLookupWhat,
    Delivery,
    Document,
    Evaluation,
    IssuedOutput,
    TimelineEntry,
    document_upload_to,
)
from .core import (
    FINAL_CASE_STATUSES,
    OPEN_CASE_STATUSES,
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Channel,
    DeliveryMethod,
    DeliveryState,
    DocumentStatus,
    NumberSequence,
    Origin,
    Outcome,
)
from .instruments import (
    Certificate,
    CertificateSequence,
    CertificateTemplate,
    Commitment,
    RefusalEntry,
    RefusalKind,
    RefusalSource,
    Verification,
    VerificationOutcome,
)
from .privacy import (
    AccessAlert,
    AccessAlertKind,
    AccessInterface,
    AccessLogAnchor,
    AccessPurpose,
    AccessRecord,
    DataExport,
    DataExportStatus,
    PurgeReason,
    PurgeRecord,
    data_export_upload_to,
)
from .proactive import (
    Offer,
    OfferMode,
    OfferState,
)

__all__ = [
    "AccessAlert",
    "AccessAlertKind",
    "AccessInterface",
    "AccessLogAnchor",
    "AccessPurpose",
    "AccessRecord",
    "Application",
    "ApplicationStatus",
    "Case",
    "CaseStatus",
    "Certificate",
    "CertificateSequence",
    "CertificateTemplate",
    "Channel",
    "Commitment",
    "ContactChannel",
    "CorrectionRequest",
    "CounterLookup",
    "CounterLookupWhat",
    "DataExport",
    "DataExportStatus",
    "Delivery",
    "DeliveryMethod",
    "DeliveryState",
    "Document",
    "DocumentStatus",
    "Evaluation",
    "FINAL_CASE_STATUSES",
    "IssuedOutput",
    "NumberSequence",
    "OPEN_CASE_STATUSES",
    "Offer",
    "OfferMode",
    "OfferState",
    "Origin",
    "Outcome",
    "PurgeReason",
    "PurgeRecord",
    "RefusalEntry",
    "RefusalKind",
    "RefusalSource",
    "TimelineEntry",
    "Verification",
    "VerificationOutcome",
    "data_export_upload_to",
    "document_upload_to",
]
