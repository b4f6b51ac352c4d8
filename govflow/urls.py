from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from govflow import health
from govflow.portal.views.accounts import AdminLoginView

# The admin is govflow's: its name in the header, the browser tab and on its home page.
admin.site.site_header = _("govflow administration")
admin.site.site_title = _("govflow administration")
admin.site.index_title = _("Catalog, departments, accounts and applications")


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico where a page names no icon (the admin, a file): the site's SVG."""
    return HttpResponsePermanentRedirect(static("govflow/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own: its login would sign staff in without their second factor.
    path("admin/login/", AdminLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("govflow.api.urls")),
    path("workbench/", include("govflow.workbench.urls")),
    path("", include("govflow.portal.urls")),
]
if settings.GOVFLOW_GOVSTACK_PREFIX:  # before the portal's catch-alls
    urlpatterns.insert(-1, path(settings.GOVFLOW_GOVSTACK_PREFIX, include("govflow.govstack.urls")))

# JSON under /api/, Django's pages elsewhere (govflow.api.exceptions).
handler400 = "govflow.api.exceptions.bad_request"
handler403 = "govflow.api.exceptions.permission_denied"
handler500 = "govflow.api.exceptions.server_error"
