from django.contrib import admin
from django.urls import include, path

from govflow.portal import views as portal_views

urlpatterns = [
    path("healthz", portal_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("govflow.api.urls")),
    path("workbench/", include("govflow.workbench.urls")),
    path("", include("govflow.portal.urls")),
]
