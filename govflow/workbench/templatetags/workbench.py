"""Presentation helpers for the workbench templates.

The markup is in templates: the time-limit badge in ``_sla_badge.html`` (everywhere a badge is
shown), a POST form's hidden inputs in ``_post_hidden.html``, a reassign select's options in
``_assign_options.html``. The one exception is the rows of the two long task lists
(``task_rows``, ``board_rows``): see ``ROW`` for why and what it measured.
"""
from __future__ import annotations

from html import escape as esc
from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from govflow.applications.states import state_label
from govflow.catalog.models import localized
from govflow.text import join_list

from ..sla import remaining_text

register = template.Library()


@register.filter
def remaining_days(value) -> str:
    return remaining_text(value)


@register.filter
def listing(items) -> str:
    """Items joined as the page's language lists them (``govflow.text.join_list``)."""
    return join_list(items or ())


@register.filter(name="localized")
def localized_label(labels) -> str:
    """A catalog label ({"en": ..., "zh-hans": ...}) in the active language."""
    return localized(labels) if isinstance(labels, dict) else (labels or "")


def _part(context, key: Any, template_name: str, values: dict) -> SafeString:
    """A small template rendered once per list and ``key``, then reused by every row that shows it
    (the render context lives as long as the template that lists the rows)."""
    rendered = context.render_context.setdefault(_part, {})
    if key not in rendered:
        rendered[key] = get_template(template_name).render(values)
    return rendered[key]


def _badge(context, sla) -> SafeString:
    # The badge depends on the state alone: three renderings of _sla_badge.html at most.
    return _part(context, ("sla", sla.state), "workbench/_sla_badge.html", {"sla": sla})


def _hidden(context, back_url: str) -> SafeString:
    return _part(context, ("hidden", back_url), "workbench/_post_hidden.html",
                 {"csrf_token": context.get("csrf_token"), "next": back_url})


@register.simple_tag(takes_context=True)
def assign_options(context, member_choices, holder_id) -> SafeString:
    """The options of a reassign select: every member but the task's holder, once per holder."""
    return _part(context, ("options", holder_id), "workbench/_assign_options.html",
                 {"choices": [(pk, name) for pk, name in member_choices if pk != holder_id]})


#: The fast path: the rows of a 50-row queue page and of the board's task lists are formatted
#: here over values escaped here (``html.escape`` is what Django's ``escape`` does), with the
#: badge, the hidden inputs and the options rendered from their templates once each.
#: Measured (2026-12-06, the bench's data: 50 queue rows, 50 overdue rows; CPU time, on a machine
#: busy with other work, so relative): the same rows as a ``{% for %}`` template, one cell per
#: line with ``{% include "workbench/_sla_badge.html" %}`` and the reassign options inline, cost
#: 4.5 ms instead of 0.6 ms for the queue's fifty rows and 8.7 ms instead of 0.9 ms for fifty
#: board rows; with them the queue page took 17-19 ms of CPU instead of 13, the board 16-17
#: instead of 13 (+30-45 %): past the 15 ms budget of BENCHMARKS.md from its 11.4 and 12.1 ms.
ROW = ('<tr class="wb-row wb-row--{state}" data-row>'
       '<td data-label="{l_sla}">{badge}</td>'
       '<th scope="row" data-label="{l_app}"><a class="wb-num" href="{url}" data-row-link>{number}</a></th>'
       '<td data-label="{l_proc}">{procedure}{flag}</td>{office}'
       '<td data-label="{l_due}" class="wb-nowrap"><time datetime="{due}">{due}</time> '
       '<span class="wb-muted">{remaining}</span></td>'
       '<td data-label="{l_wait}" class="wb-nowrap">{waiting}</td>'
       '<td class="wb-actions">{action}</td></tr>')
#: 容缺受理: the flag of a case whose deferred material was not handed in on time.
MATERIAL_OVERDUE = ' <span class="wb-tag wb-tag--warn" data-material-overdue>{}</span>'
CLAIM = ('<button type="submit" class="wb-btn" formaction="{}claim/" data-claim>{}'
         '<span class="visually-hidden"> {}</span></button>')
RELEASE = ('<button type="submit" class="wb-btn wb-btn--quiet" formaction="{}release/" data-release>{}'
           '<span class="visually-hidden"> {}</span></button>')
LIST_LABELS = (("l_sla", "Time limit"), ("l_app", "Application"), ("l_proc", "Procedure"), ("l_due", "Due"),
               ("l_wait", "Waiting"))


@register.simple_tag(takes_context=True)
def task_rows(context, rows, mode: str, show_office: bool = False) -> SafeString:
    """The ``<tr>``s of a clerk's task list (``mode``: ``queue`` or ``mine``). Claim and release
    buttons use ``formaction`` inside the one form that wraps the table (its CSRF token and
    ``next``), so a row carries no form of its own. The board's rows are ``board_rows``."""
    if mode not in ("queue", "mine"):
        raise ValueError(f"task_rows lists a queue or my tasks, not {mode!r}")
    labels_e = {key: esc(gettext(text)) for key, text in LIST_LABELS}
    l_office_e = esc(gettext("Office"))
    action, l_action_e = (CLAIM, esc(gettext("Claim"))) if mode == "queue" else (RELEASE, esc(gettext("Release")))
    remaining_e: dict[int | None, str] = {}
    overdue_e = MATERIAL_OVERDUE.format(esc(gettext("material overdue")))
    out = []
    for row in rows:
        sla = row.sla
        if sla.remaining not in remaining_e:
            remaining_e[sla.remaining] = esc(sla.remaining_text)
        number_e, url_e = esc(row.number), esc(row.url)
        office_e = f'<td data-label="{l_office_e}">{esc(row.office_name)}</td>' if show_office else ""
        out.append(ROW.format(state=esc(sla.state), badge=_badge(context, sla), url=url_e, number=number_e,
                              procedure=esc(row.procedure_name), office=office_e, due=esc(row.due),
                              flag=overdue_e if row.material_overdue else "",
                              remaining=remaining_e[sla.remaining], waiting=esc(row.waiting),
                              action=action.format(url_e, l_action_e, number_e), **labels_e))
    return mark_safe("\n".join(out))  # every value was escaped above


BOARD_ROW = ('<tr class="wb-row wb-row--{state}" data-row>'
             '<td data-label="{l_sla}">{badge}</td>'
             '<th scope="row" data-label="{l_app}">{number_cell}</th>'
             '<td data-label="{l_proc}">{procedure}</td>'
             '<td data-label="{l_due}" class="wb-nowrap"><time datetime="{due}">{due}</time> '
             '<span class="wb-muted">{remaining}</span></td>'
             '<td data-label="{l_wait}" class="wb-nowrap">{waiting}</td>'
             '<td data-label="{l_held}">{holder}</td>'
             '<td class="wb-actions">{actions}</td></tr>')
BOARD_ROW_LINK = '<a class="wb-num" href="{url}" data-row-link>{number}</a>'
BOARD_ROW_NUMBER = '<span class="wb-num">{number}</span>'
BOARD_ROW_ACTIONS = ('<div class="wb-actions__group">{release}'
                     '<form method="post" action="{url}assign/" class="wb-assign">{hidden}'
                     '<label class="visually-hidden" for="{field_id}">{give_to}</label>'
                     '<select id="{field_id}" name="assignee" required>{options}</select>'
                     '<button type="submit" class="wb-btn wb-btn--quiet">{l_reassign}'
                     '<span class="visually-hidden"> {number}</span></button></form></div>')
BOARD_ROW_RELEASE = ('<form method="post" action="{url}release/">{hidden}'
                     '<button type="submit" class="wb-btn wb-btn--quiet">{l_release}'
                     '<span class="visually-hidden"> {number}</span></button></form>')


@register.simple_tag(takes_context=True)
def board_rows(context, rows, back_url: str = "", list_id: str = "", member_choices=(),
               read_only: bool = False) -> SafeString:
    """The ``<tr>``s of a supervisor's task list (``selectors.BoardRow``): release and reassign
    forms on each row, or (``read_only``: an office the supervisor only oversees) neither, nor a
    link to a task page they may not open. Strings shared by many rows (procedure and clerk names,
    the waiting times) are escaped once each."""
    consts = {key: esc(gettext(text)) for key, text in (*LIST_LABELS, ("l_held", "Held by"))}
    l_reassign = esc(gettext("Reassign"))
    l_release = esc(gettext("Release"))
    in_queue = '<span class="wb-muted">{}</span>'.format(esc(gettext("in the queue")))
    give_to = gettext("Give %(number)s to")
    hidden = _hidden(context, back_url)
    escaped: dict[str, str] = {}
    list_id = esc(list_id)
    out = []
    for row in rows:
        sla = row.sla
        owner_id = row.owner_id
        for text in (row.procedure_name, row.owner_name, row.waiting, sla.remaining_text):
            if text not in escaped:
                escaped[text] = esc(text)
        number = esc(row.number)
        url = esc(row.url)
        if read_only:
            number_cell, actions = BOARD_ROW_NUMBER.format(number=number), ""
        else:
            number_cell = BOARD_ROW_LINK.format(url=url, number=number)
            actions = BOARD_ROW_ACTIONS.format(
                release=BOARD_ROW_RELEASE.format(url=url, hidden=hidden, l_release=l_release, number=number)
                if owner_id is not None else "",
                url=url, hidden=hidden, field_id=f"assign-{list_id}-{row.task_id}",
                give_to=esc(give_to % {"number": row.number}),
                options=assign_options(context, member_choices, owner_id), l_reassign=l_reassign, number=number)
        out.append(BOARD_ROW.format(
            state=esc(sla.state), badge=_badge(context, sla), remaining=escaped[sla.remaining_text],
            number_cell=number_cell, procedure=escaped[row.procedure_name], due=esc(row.due),
            waiting=escaped[row.waiting],
            holder=escaped[row.owner_name] if owner_id is not None else in_queue,
            actions=actions, **consts))
    return mark_safe("\n".join(out))  # every value above was escaped or rendered by a template


@register.filter
def application_state(application: Any) -> str:
    """An application's state in words (withdrawn, rejected … never "completed" for those):
    :func:`govflow.applications.states.state_label`."""
    return state_label(application.status, application.outcome)
