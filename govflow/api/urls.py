from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import auth, callbacks, catalog, offers, parties, privacy, stats, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the project's own static files (drf-spectacular-sidecar: no CDN, for intranets),
    # its init script from docs/?script rather than inline (Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
         name="docs"),
    path("applications/", views.ApplicationListView.as_view(), name="application-list"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application-detail"),
    path("applications/<int:pk>/documents/", views.DocumentUploadView.as_view(), name="document-upload"),
    path("applications/<int:pk>/documents/<int:doc_pk>/file", views.DocumentFileView.as_view(),
         name="document-file"),
    path("applications/<int:pk>/outputs/<slug:code>/certificate", views.CertificateFileView.as_view(),
         name="certificate-file"),
    path("deferral-terms/", views.DeferralTermsView.as_view(), name="deferral-terms"),
    path("applications/<int:pk>/submit/", views.SubmitView.as_view(), name="application-submit"),
    path("applications/<int:pk>/resubmit/", views.ResubmitView.as_view(), name="application-resubmit"),
    path("applications/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="application-withdraw"),
    path("applications/<int:pk>/apply-again/", views.ApplyAgainView.as_view(), name="application-apply-again"),
    path("applications/<int:pk>/evaluation/", views.EvaluationView.as_view(), name="application-evaluation"),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<int:pk>/claim/", views.ClaimView.as_view(), name="task-claim"),
    path("tasks/<int:pk>/release/", views.ReleaseView.as_view(), name="task-release"),
    path("tasks/<int:pk>/assign/", views.AssignView.as_view(), name="task-assign"),
    path("tasks/<int:pk>/complete/", views.CompleteView.as_view(), name="task-complete"),
    path("deliveries/", views.DeliveryListView.as_view(), name="delivery-list"),
    path("deliveries/<int:pk>/", views.DeliveryDetailView.as_view(), name="delivery-detail"),
    path("deliveries/<int:pk>/advance/", views.DeliveryAdvanceView.as_view(), name="delivery-advance"),
]
urlpatterns += (auth.urlpatterns + catalog.urlpatterns + parties.urlpatterns + stats.urlpatterns
                + callbacks.urlpatterns + privacy.urlpatterns + offers.urlpatterns)
