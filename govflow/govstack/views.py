"""The GovStack Registration Building Block API over govflow (docs/govstack.md).

Requests in, the same domain services and selectors as ``/api/v1/``, GovStack's representations
out: no rule lives here. Who may see and do what is govflow's: a citizen sees their own
applications (anyone else's is a 404), a clerk the tasks of their offices (another office's is a
404; a citizen on tasks gets 403); and every call needing credentials passes ``IsRegisteredClient``
first. Every error is a ``systemError`` (``{"traceId", "code", "message", "localizedMessage"}``)
with govflow's own error body under ``errors``.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from govflow.applications import access, selectors
from govflow.applications.models import Application, ApplicationStatus, Case, CaseStatus, Channel, Document
from govflow.applications.services import citizen_actions, deciding, drafting, submitting, uploading
from govflow.catalog.calendar import local_date
from govflow.catalog.models import OneThing, OneThingVersion
from govflow.catalog.selectors import published_one_things, visible_one_things
from govflow.errors import NotFound
from govflow.parties.selectors import MYSELF, principal_for
from govflow.stats.selectors import TIMEFRAMES, decision_counts
from govflow.text import has_bad_text

from . import ids
from . import representations as r
from .clients import IsRegisteredClient
from .idempotency import idempotent
from .models import Alias, AliasKind

MAX_RESULTS = 100
#: Statistics: the days counted without dates, and at most (both ends included).
STATS_DEFAULT_DAYS = 30
STATS_MAX_DAYS = 366
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(9998, 12, 31)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DEFAULT_RESULTS = 20


class GovStackView(GenericAPIView):
    """Credentials and a registered client; errors as ``systemError``; plain arrays, no pages."""

    permission_classes = [IsAuthenticated, IsRegisteredClient]
    pagination_class = None
    schema = None  # described by GovStack's OpenAPI documents, not part of /api/v1/schema/

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        body = response.data
        message = body.get("detail") if isinstance(body, dict) and isinstance(body.get("detail"), str) else None
        if message is None:
            message = _first_message(body) or _("Invalid input.")
        response.data = {"traceId": uuid.uuid4().hex, "code": str(response.status_code), "message": str(message),
                         "localizedMessage": str(message), "errors": body}
        return response


def _first_message(body: Any) -> str | None:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        for item in body:
            found = _first_message(item)
            if found:
                return found
    if isinstance(body, dict):
        for key, value in body.items():
            found = _first_message(value)
            if found:
                return f"{key}: {found}"
    return None


def _window(request) -> tuple[int, int]:
    """``firstResult`` (0-based index of the first) and ``maxResult`` (1 to 100, default 20)."""
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            raise ValidationError({name: [_("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]})
        return int(raw)
    first = number("firstResult", 0, 0, 10**9)
    return first, number("maxResult", DEFAULT_RESULTS, 1, MAX_RESULTS)


def _sort(request, allowed: dict[str, tuple[str, ...]], default: str) -> tuple[str, ...]:
    """``sortBy`` (one of ``allowed``) with ``sortOrder`` ``asc`` or ``desc``."""
    by = request.query_params.get("sortBy") or default
    order = request.query_params.get("sortOrder") or ("desc" if by == default else "asc")
    if by not in allowed:
        raise ValidationError({"sortBy": [_("One of: %(values)s.") % {"values": ", ".join(allowed)}]})
    if order not in ("asc", "desc"):
        raise ValidationError({"sortOrder": [_("One of: asc, desc.")]})
    return tuple(("-" + f if order == "desc" else f) for f in allowed[by])


def _by_alias(queryset, kind: str, external_id: str) -> OneThing:
    """The one thing of ``queryset`` an alias of ``kind`` names (404 otherwise)."""
    found = queryset.filter(pk__in=Alias.objects.filter(kind=kind, external_id=external_id).values("one_thing_id"))
    one_thing = found.first() if len(external_id) <= 100 and not has_bad_text(external_id) else None
    if one_thing is None:
        raise Http404("Not found.")
    return one_thing


def _by_service_id(queryset, service_id: str) -> OneThing:
    """The one thing of ``queryset`` whose service id (or an alias of it) is ``service_id`` (404 otherwise)."""
    for one_thing in queryset:
        if ids.service_id(one_thing.code) == service_id:
            return one_thing
    return _by_alias(queryset, AliasKind.SERVICE, service_id)


# -- services and eForms (no credentials needed, like /api/v1/one-things/) ----------------------

class CatalogView(GovStackView):
    permission_classes = [AllowAny]


class ServiceListView(CatalogView):
    def get(self, request):
        name = (request.query_params.get("name") or "").strip().casefold()
        services_ = [r.service_repr(o) for o in visible_one_things(request.user)]
        if name:
            services_ = [s for s in services_ if name in s["name"].casefold()]
        return Response(services_)


class ServiceDetailView(CatalogView):
    def get(self, request, service_id: str):
        return Response(r.service_repr(_by_service_id(visible_one_things(request.user), service_id)))


class ServiceEFormsView(CatalogView):
    """Every published version's form, the newest (the current one, ``latest``) first."""

    def get(self, request, service_id: str):
        one_thing = _by_service_id(visible_one_things(request.user), service_id)
        versions = OneThingVersion.objects.filter(one_thing=one_thing).order_by("-number")
        return Response([r.eform_repr(one_thing, with_schema=False, version=v) for v in versions])


def _eform(user, eform_id: str) -> tuple[OneThing, OneThingVersion]:
    """The one thing and the published version whose eForm id (or an alias, for the current
    version) is ``eform_id``, among those offered to ``user`` (404 otherwise). One query for the
    one things, one for their older versions."""
    one_things = {o.pk: o for o in visible_one_things(user)}
    for one_thing in one_things.values():
        if ids.eform_id(one_thing.code, one_thing.current_version.number) == eform_id:
            return one_thing, one_thing.current_version
    for version in OneThingVersion.objects.filter(one_thing_id__in=list(one_things)).order_by("one_thing", "-number"):
        one_thing = one_things[version.one_thing_id]
        if ids.eform_id(one_thing.code, version.number) == eform_id:
            return one_thing, version
    one_thing = _by_alias(visible_one_things(user), AliasKind.EFORM, eform_id)
    return one_thing, one_thing.current_version


class EFormView(CatalogView):
    """A published version's form: the current one, or an older one (``latest: false``)."""

    def get(self, request, eform_id: str):
        one_thing, version = _eform(request.user, eform_id)
        return Response(r.eform_repr(one_thing, with_schema=True, version=version))


# -- application files ----------------------------------------------------------------------------

#: What an application file shows of its row (its documents: one more query for a whole list).
_FILE_FIELDS = ("number", "status", "outcome", "data", "created_at", "submitted_at", "applicant_id",
                "organisation_id", "version__number", "version__digest")


def _documents_of(applications: list[Application]) -> dict[int, list[Document]]:
    found: dict[int, list[Document]] = {a.pk: [] for a in applications}
    for doc in (Document.objects.filter(application_id__in=list(found)).order_by("material_code", "id")
                .only("id", "application_id", "file")):
        found[doc.application_id].append(doc)
    return found


def _file(request, pk: Any) -> dict:
    try:
        app = (Application.objects.filter(selectors.acting_q(request.user)).select_related("version")
               .only(*_FILE_FIELDS).get(pk=selectors.int_or_404(pk)))
    except Application.DoesNotExist:
        raise Http404("Application file not found.") from None
    return r.application_repr(request, app, _documents_of([app])[app.pk])


def _principal(user, applicant_id: Any):
    """``applicantId``: the caller's own account id (or ``me``), else an organisation (``org:<id>``)
    or a person whose authorisation they hold (``for:<id>``), as ``acting_as`` on /api/v1/."""
    if applicant_id in (None, "", "me", str(user.pk)):
        return MYSELF
    return principal_for(user, applicant_id)


def _submission(request) -> dict:
    """The ``applicationFileSubmit`` body: ``applicantId`` required, ``formData.data`` the answers."""
    body = request.data
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict[str, list[str]] = {}
    applicant_id = body.get("applicantId")
    if not isinstance(applicant_id, str) or not applicant_id:
        errors["applicantId"] = [_("This field is required.")]
    form = body.get("formData", {})
    if not isinstance(form, dict) or not isinstance(form.get("data", {}), dict):
        errors["formData"] = [_("An object with the answers under data.")]
    urls = body.get("documentUrls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        errors["documentUrls"] = [_("A list of document URLs.")]
    if errors:
        raise ValidationError(errors)
    return {"applicant_id": applicant_id, "data": r.unwrapped(form.get("data", {})), "document_urls": urls,
            "eform_id": form.get("eFormId")}


def _check_eform(one_thing: OneThing, version: OneThingVersion, eform_id: Any, *, new_file: bool) -> None:
    """``formData.eFormId``, when sent, must be the eForm of ``version`` (its id, or an alias when
    that is the current version): a new file is always started on the version published now, an
    existing one stays on its own. Another version's eForm is a 400 that names the right one,
    anything else a 400."""
    if eform_id == ids.eform_id(one_thing.code, version.number):
        return
    if isinstance(eform_id, str) and 0 < len(eform_id) <= 100 and not has_bad_text(eform_id):
        if (version.pk == one_thing.current_version_id
                and Alias.objects.filter(kind=AliasKind.EFORM, external_id=eform_id, one_thing=one_thing).exists()):
            return
        for number in OneThingVersion.objects.filter(one_thing=one_thing).values_list("number", flat=True):
            if ids.eform_id(one_thing.code, number) == eform_id:
                values = {"old": number, "current": version.number, "id": ids.eform_id(one_thing.code, version.number)}
                message = (_("This eForm is version %(old)s; new application files use the current version "
                             "%(current)s (eForm %(id)s).") if new_file else
                           _("This eForm is version %(old)s; this application file uses version %(current)s "
                             "(eForm %(id)s)."))
                raise ValidationError({"formData": {"eFormId": [message % values]}})
    raise ValidationError({"formData": {"eFormId": [_("Not an eForm of this service.")]}})


class ServiceApplicationsView(GovStackView):
    """Start an application file: a draft of the one thing's published version (POST /api/v1/applications/).
    With an ``Idempotency-Key``, a repeat from the same client and account replays the first answer."""

    @idempotent
    def post(self, request, service_id: str):
        one_thing = _by_service_id(published_one_things(), service_id)
        body = _submission(request)
        if body["document_urls"]:
            raise ValidationError({"documentUrls": [_("A new application file has no documents yet: upload them "
                                                      "with POST /documents naming its fileId, then send it with "
                                                      "PUT /applications/{fileId}.")]})
        eform_id = body["eform_id"]
        if eform_id is not None:
            _check_eform(one_thing, one_thing.current_version, eform_id, new_file=True)
        principal = _principal(request.user, body["applicant_id"])
        app = drafting.application_create(user=request.user, one_thing_code=one_thing.code, data=body["data"],
                                          principal=principal, channel=Channel.API)
        return Response(_file(request, app.pk))


class ApplicationListView(GovStackView):
    """The caller's files. A filter naming nothing the caller has (an unknown service, someone they
    may not act for) finds no file: ``200 []``, as the specification documents only ``200`` here."""

    def get(self, request):
        first, count = _window(request)
        order = _sort(request, {"created": ("created_at", "id"), "id": ("id",)}, "created")
        try:
            principal = _principal(request.user, request.query_params.get("applicantId"))
            service_id = request.query_params.get("serviceId")
            one_thing = _by_service_id(published_one_things(), service_id) if service_id else None
        except (Http404, NotFound):
            return Response([])
        qs = selectors.applications_for_citizen(user=request.user, principal=principal)
        if one_thing is not None:
            qs = qs.filter(one_thing=one_thing)
        page = list(qs.select_related(None).select_related("version").only(*_FILE_FIELDS).order_by(*order)[first:first + count])
        documents = _documents_of(page)
        return Response([r.application_list_item(request, app, documents[app.pk]) for app in page])


class ApplicationDetailView(GovStackView):
    def get(self, request, file_id: str):
        body = _file(request, file_id)
        app = selectors.application_for_citizen(request.user, file_id)
        access.application_read(request.user, app, interface=access.Interface.API,
                                fields=list(body["applicationData"]["formData"]["data"]))
        return Response(body)

    def put(self, request, file_id: str):
        """The applicant sends the file: answers merged (PATCH /api/v1/applications/{id}/), then
        submitted (a draft) or resubmitted (sent back for corrections); all or nothing."""
        app = selectors.application_for_citizen(request.user, file_id)
        body = _submission(request)
        _principal(request.user, body["applicant_id"])  # someone the caller may act for (404 otherwise)
        if body["eform_id"] is not None:
            _check_eform(app.one_thing, app.version, body["eform_id"], new_file=False)
        known = {r.document_url(request, d) for d in Document.objects.filter(application=app).only("id", "application_id")}
        unknown = [u for u in body["document_urls"] if u not in known]
        if unknown:
            raise ValidationError({"documentUrls": [_("Not a document of this application file: %(url)s")
                                                    % {"url": unknown[0]}]})
        with transaction.atomic():
            if body["data"]:
                drafting.application_update(application=app, user=request.user, data=body["data"])
            if app.status == ApplicationStatus.DRAFT:
                submitting.application_submit(application=app, user=request.user)
            elif app.status == ApplicationStatus.CORRECTION_REQUESTED:
                citizen_actions.application_resubmit(application=app, user=request.user)
        return Response(_file(request, app.pk))


class DocumentUploadView(GovStackView):
    """Upload a material of an application file (POST /api/v1/applications/{id}/documents/):
    ``additionalMetadata`` names it, ``{"fileId": "<id>", "material": "<code>"}``."""

    parser_classes = [MultiPartParser, FormParser, *api_settings.DEFAULT_PARSER_CLASSES]
    client_header_optional = True  # the specification lists no Information-Mediator-Client here

    def post(self, request):
        try:
            meta = json.loads(request.query_params.get("additionalMetadata") or "null")
        except ValueError:
            meta = None
        if not (isinstance(meta, dict) and isinstance(meta.get("fileId"), str | int)
                and isinstance(meta.get("material"), str)):
            raise ValidationError({"additionalMetadata": [_('A JSON object: {"fileId": "<application file id>", '
                                                            '"material": "<material code>"}.')]})
        files = request.FILES.getlist("file")
        if len(files) != 1:
            raise ValidationError({"file": [_("Upload exactly one file.")]})
        app = selectors.application_for_citizen(request.user, meta["fileId"])
        doc = uploading.document_upload(application=app, user=request.user, material_code=meta["material"],
                                       file=files[0], filename=files[0].name)
        return Response({"code": 200, "type": doc.content_type, "message": doc.filename,
                         "url": r.document_url(request, doc)})


# -- tasks ----------------------------------------------------------------------------------------

def _in_scope(request, case: Case) -> Case:
    """A client limited to some departments sees no other department's task (404, as if none)."""
    if request.govstack_departments and case.department_id not in request.govstack_departments:
        raise Http404("Task not found.")
    return case


class TaskView(GovStackView):
    client_header_optional = True  # the specification lists no Information-Mediator-Client on /tasks

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not selectors.is_clerk(request.user):  # as /api/v1/tasks/: office members only
            raise PermissionDenied(_("Only department staff can use tasks."))

    def case(self, request, task_id: str) -> Case:
        return _in_scope(request, selectors.task_for_clerk(request.user, task_id))


class TaskListView(TaskView):
    """The unclaimed tasks of the clerk's offices and those the clerk holds (``/api/v1/tasks/``'s two
    queues). A ``fileId`` or ``mainTaskId`` that is no application's id finds no task: ``200 []``."""

    def get(self, request):
        first, count = _window(request)
        order = _sort(request, {"dueDate": ("due_date", "task_id", "id"), "created": ("task_id", "id")}, "dueDate")
        queue = selectors.task_queue_for_clerk(user=request.user)
        held = selectors.tasks_held_by(user=request.user)
        qs = (queue | held)
        if request.govstack_departments:
            qs = qs.filter(department_id__in=request.govstack_departments)
        for key in ("fileId", "mainTaskId"):
            file_id = request.query_params.get(key)
            if file_id:
                try:
                    qs = qs.filter(application_id=selectors.int_or_404(file_id))
                except Http404:
                    return Response([])
        assignee = request.query_params.get("assigneeId")
        if assignee and (len(assignee) > 150 or has_bad_text(assignee)):  # no such username (PostgreSQL refuses NUL)
            raise ValidationError({"assigneeId": [_("Not a username.")]})
        if assignee:
            qs = qs.filter(owner__username=assignee)
        page = list(qs.select_related("application__version").order_by(*order)[first:first + count])
        return Response([r.task_repr(case, case.task_id) for case in page])


class TaskDetailView(TaskView):
    def get(self, request, task_id: str):
        case = self.case(request, task_id)
        view = selectors.task_view_for_clerk(case)
        body = r.task_detail_repr(request, case, case.task_id, view)
        access.case_read(request.user, case, interface=access.Interface.API, fields=list(body["data"]),
                         materials=[d.material_code for d in view["documents"]])
        return Response(body)


#: The decisions ``/tasks/{id}/complete`` takes: govflow's own, or the GovStack status they lead to.
DECISIONS = {"approve": "approve", "reject": "reject", "request_correction": "request_correction",
             "APPROVED": "approve", "REJECTED": "reject", "SENDBACK": "request_correction"}


class TaskCompleteView(TaskView):
    """Decide a task (POST /api/v1/tasks/{id}/complete/), claiming it first when it is still in the
    queue (POST /api/v1/tasks/{id}/claim/): GovStack has no claim of its own."""

    def post(self, request, task_id: str):
        case = self.case(request, task_id)
        body = request.data if isinstance(request.data, dict) else None
        data = r.unwrapped(body.get("data")) if body is not None else None
        if not isinstance(data, dict):
            raise ValidationError({"data": [_("An object with the decision.")]})
        decision = data.get("decision")
        if not isinstance(decision, str) or decision not in DECISIONS:
            raise ValidationError({"data": {"decision": [_("One of: %(values)s.") % {"values": ", ".join(DECISIONS)}]}})
        if case.status == CaseStatus.QUEUED:
            case = deciding.task_claim(case=case, user=request.user)
        selectors.check_may_decide(request.user, case)
        case = deciding.task_complete(case=case, user=request.user, decision=DECISIONS[decision],
                                      outputs=data.get("outputs"), comment=data.get("comment", ""),
                                      corrections=data.get("corrections"))
        app = Application.objects.select_related("version").only("id", "version__number", "version__digest") \
            .get(pk=case.application_id)
        return Response({"taskId": str(task_id), "fileId": str(app.pk),
                         "serviceId": ids.service_id(r.definition_code(app)), "status": r.case_status(case),
                         "variables": {"outputs": {"data": r.wrapped(case.outputs or {})}}})


# -- statistics ---------------------------------------------------------------------------------

def _day(raw: str | None) -> date | None | bool:
    """A ``YYYY-MM-DD`` date from 1900 to 9998 (so that day arithmetic never overflows); ``None``
    when absent; ``False`` when not such a date."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if _DATE_RE.fullmatch(raw) else None
    except ValueError:
        day = None
    return day if day is not None and MIN_DATE <= day <= MAX_DATE else False


def _registration_code(name: str) -> str:
    """The code of the published one thing ``registrationName`` names: its code, its name, its
    service id, or an alias of its service id (as ``/services/{serviceId}``); 404 for none."""
    one_things = published_one_things()
    code = next((o.code for o in one_things if name in (o.code, r.service_repr(o)["name"], ids.service_id(o.code))),
                None)
    if code is None:
        try:
            code = _by_alias(one_things, AliasKind.SERVICE, name).code
        except Http404:
            raise Http404("No registration of this name.") from None
    return code


class StatisticsView(GovStackView):
    """Counts over the applications submitted from ``startDate`` to ``endDate`` (supervisors: their
    departments; staff: all; anyone else 403, as ``/api/v1/stats/``), narrowed to a registration
    (``registrationName``: a code, a name, a service id or its alias), an operator (``operator``, a
    username) and a role (``role``, an office's or a department's code, as ``roleId`` of tasks)."""

    def get(self, request):
        params = request.query_params
        errors: dict[str, list[str]] = {}
        days = {}
        for key in ("startDate", "endDate"):
            days[key] = _day(params.get(key))
            if days[key] is False:
                errors[key] = [_("Enter a date in the format YYYY-MM-DD, from 1900 to 9998.")]
        timeframe = params.get("timeframe") or ""
        if timeframe and timeframe not in TIMEFRAMES:
            errors["timeframe"] = [_("One of: %(values)s.") % {"values": ", ".join(TIMEFRAMES)}]
        for key in ("operator", "role"):  # a username, an office's or department's code: no such one is all zeros
            if len(params.get(key) or "") > 150 or has_bad_text(params.get(key) or ""):
                errors[key] = [_("At most 150 characters, no control characters.")]
        if errors:
            raise ValidationError(errors)
        end = days["endDate"] or local_date(timezone.now())
        start = days["startDate"] or end - timedelta(days=STATS_DEFAULT_DAYS - 1)
        if end < start or (end - start).days >= STATS_MAX_DAYS:
            raise ValidationError({"endDate": [_("On or after startDate, at most %(days)d days after it.")
                                               % {"days": STATS_MAX_DAYS}]})
        name = params.get("registrationName") or ""
        code = _registration_code(name) if name else None
        rows = decision_counts(user=request.user, date_from=start, date_to=end, one_thing_code=code,
                               timeframe=timeframe or None, operator=params.get("operator") or None,
                               role=params.get("role") or None)
        shared = {"registrationName": name, "operator": params.get("operator") or "", "role": params.get("role") or "",
                  **{f"timeframe{t.capitalize()}": timeframe == t for t in TIMEFRAMES}}
        return Response([{"processed": row["processed"], "approved": row["approved"], "sentBack": row["sent_back"],
                          "rejected": row["rejected"],
                          "references": {"startDate": row["start"].isoformat(), "endDate": row["end"].isoformat(),
                                         **shared}} for row in rows])
