"""Site-wide request checks and response headers.

``RefuseNulQueryMiddleware``: a query string holding a NUL character is answered ``400`` before any
view (JSON under ``/api/``, and GovStack's ``systemError`` under ``GOVFLOW_GOVSTACK_PREFIX``): PostgreSQL cannot store or even compare text holding NUL, so every
filter, search and autocomplete of the admin, the portal, the workbench and the API would fail.

``NoStoreMiddleware``: a response that may carry personal data is never stored by a browser or a
proxy (``Cache-Control: no-store, private``, via Django's ``add_never_cache_headers``). That is
every response to a signed-in user or to a request with a session, every response that starts a
session, and every ``/api/`` response unless its view declares ``cache_public = True`` (the public
catalog: the same for everybody). Static files (served by WhiteNoise, before this) are untouched.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"
NUL_QUERY_MESSAGE = "The query string holds a NUL character."


class RefuseNulQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"detail": NUL_QUERY_MESSAGE}, status=400)
            govstack = settings.GOVFLOW_GOVSTACK_PREFIX
            if govstack and request.path.startswith("/" + govstack):  # GovStack's systemError (docs/govstack.md)
                return JsonResponse({"code": "400", "message": NUL_QUERY_MESSAGE,
                                     "localizedMessage": NUL_QUERY_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_QUERY_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _view_is_public(view_func: Callable) -> bool:
    view = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None) or view_func
    return bool(getattr(view, "cache_public", False))


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._carries_personal_data(request, response):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, max-age=0
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> None:
        request._govflow_cache_public = _view_is_public(view_func)

    @staticmethod
    def _carries_personal_data(request: HttpRequest, response: HttpResponse) -> bool:
        cookie = settings.SESSION_COOKIE_NAME
        if cookie in request.COOKIES or cookie in response.cookies:  # a session, or one just started
            return True
        user = getattr(request, "user", None)  # without a session cookie: no query (an API token's user)
        if user is not None and user.is_authenticated:
            return True
        if request.path.startswith(API_PREFIX):
            return not getattr(request, "_govflow_cache_public", False)
        return False
