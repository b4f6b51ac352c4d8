"""REST API v1 for citizens and clerks: requests in, service calls, representations out.

No business rules here: every write goes through ``govflow.applications.services``
and every object through an access helper in ``selectors`` (another citizen's
application, or a task of an office the clerk is not a member of, is a 404).
One module per side: ``applications`` (the citizen's) and ``tasks`` (the clerk's).
"""
from .applications import (
    ApplicationDetailView,
    ApplicationListView,
    ApplyAgainView,
    CertificateFileView,
    DeferralTermsView,
    DocumentFileView,
    DocumentUploadView,
    EvaluationView,
    ResubmitView,
    SubmitView,
    WithdrawView,
)
from .tasks import (
    AssignView,
    ClaimView,
    CompleteView,
    DeliveryAdvanceView,
    DeliveryDetailView,
    DeliveryListView,
    ReleaseView,
    TaskDetailView,
    TaskListView,
)

__all__ = [
    "ApplicationDetailView", "ApplicationListView", "ApplyAgainView", "AssignView", "CertificateFileView",
    "ClaimView", "CompleteView", "DeferralTermsView", "DeliveryAdvanceView", "DeliveryDetailView",
    "DeliveryListView", "DocumentFileView", "DocumentUploadView", "EvaluationView", "ReleaseView",
    "ResubmitView", "SubmitView", "TaskDetailView", "TaskListView", "WithdrawView",
]
