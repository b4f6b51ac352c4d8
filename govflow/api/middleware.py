"""The API speaks JSON, in the request's Accept-Language: zh-hans when asked for, else English.

The site's default language is Chinese (a Chinese government service); an API client
that asks for nothing, or for a language we don't have, gets English as the contract says.

A path under ``/api/`` that matches no endpoint (``/api/v1/applications/abc/``: ids are
integers) is a JSON 404 like every other, not Django's HTML page.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def wants_chinese(header: str) -> bool:
    for lang, _quality in parse_accept_lang_header(header or ""):
        code = lang.lower()
        if code.startswith("zh"):
            return True
        if code in ("en",) or code.startswith("en-"):
            return False
    return False


class ApiLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        language = "zh-hans" if wants_chinese(request.headers.get("Accept-Language", "")) else "en"
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if response.status_code == 404 and not response.get("Content-Type", "").startswith("application/json"):
            response = JsonResponse({"detail": "Not found."}, status=404)
        return response
