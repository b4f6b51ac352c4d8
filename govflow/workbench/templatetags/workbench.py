"""Small presentation helpers for the workbench templates."""
from __future__ import annotations

from html import escape as esc
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from govflow.catalog.models import localized

from ..selectors import remaining_text

register = template.Library()


@register.simple_tag
def sla_badge(sla) -> str:
    """Colour plus text (and a shape, for those who see neither colour well)."""
    return format_html('<span class="sla sla--{}"><span aria-hidden="true">{}</span> {}</span>',
                       sla.state, sla.mark, sla.label)


@register.filter
def remaining_days(value) -> str:
    return remaining_text(value)


@register.filter(name="localized")
def localized_label(labels) -> str:
    """A catalog label ({"en": ..., "zh-hans": ...}) in the active language."""
    return localized(labels) if isinstance(labels, dict) else (labels or "")


ROW = ('<tr class="wb-row wb-row--{state}" data-row>'
       '<td data-label="{l_sla}"><span class="sla sla--{state}"><span aria-hidden="true">{mark}</span> {label}</span></td>'
       '<th scope="row" data-label="{l_app}"><a class="wb-num" href="{url}" data-row-link>{number}</a></th>'
       '<td data-label="{l_proc}">{procedure}</td>{department}'
       '<td data-label="{l_due}" class="wb-nowrap"><time datetime="{due}">{due}</time> '
       '<span class="wb-muted">{remaining}</span></td>'
       '<td data-label="{l_wait}" class="wb-nowrap">{waiting}</td>'
       '<td class="wb-actions">{action}</td></tr>')
CLAIM = ('<button type="submit" class="wb-btn" formaction="{}claim/" data-claim>{}'
         '<span class="visually-hidden"> {}</span></button>')
RELEASE = ('<button type="submit" class="wb-btn wb-btn--quiet" formaction="{}release/" data-release>{}'
           '<span class="visually-hidden"> {}</span></button>')


@register.simple_tag
def task_rows(rows, mode: str, show_department: bool = False) -> str:
    """The ``<tr>``s of a clerk's task list (``mode``: ``queue`` or ``mine``), built in Python.

    A queue page shows fifty rows of eight cells; through the template engine that was most of
    the page's time, here it is one ``str.format`` per row over values escaped here (labels and
    repeated texts once each; ``html.escape`` is what Django's ``escape`` does). Claim and release
    buttons use ``formaction`` inside the one form that wraps the table (its CSRF token and
    ``next``), so a row carries no form of its own. The board's rows are ``board_rows``.
    """
    from django.utils.translation import gettext

    if mode not in ("queue", "mine"):
        raise ValueError(f"task_rows lists a queue or my tasks, not {mode!r}")
    labels_e = {key: esc(gettext(text)) for key, text in (
        ("l_sla", "Time limit"), ("l_app", "Application"), ("l_proc", "Procedure"), ("l_due", "Due"),
        ("l_wait", "Waiting"))}
    l_dept_e = esc(gettext("Department"))
    action, l_action_e = (CLAIM, esc(gettext("Claim"))) if mode == "queue" else (RELEASE, esc(gettext("Release")))
    remaining_e: dict[int | None, str] = {}
    sla_e: dict[str, tuple[str, str, str]] = {}
    out = []
    for row in rows:
        sla = row.sla
        if sla.remaining not in remaining_e:
            remaining_e[sla.remaining] = esc(sla.remaining_text)
        if sla.state not in sla_e:
            sla_e[sla.state] = (esc(sla.state), esc(sla.mark), esc(sla.label))
        state_e, mark_e, label_e = sla_e[sla.state]
        number_e, url_e = esc(row.number), esc(row.url)
        department_e = f'<td data-label="{l_dept_e}">{esc(row.department_name)}</td>' if show_department else ""
        out.append(ROW.format(state=state_e, mark=mark_e, label=label_e, url=url_e, number=number_e,
                              procedure=esc(row.procedure_name), department=department_e, due=esc(row.due),
                              remaining=remaining_e[sla.remaining], waiting=esc(row.waiting),
                              action=action.format(url_e, l_action_e, number_e), **labels_e))
    return mark_safe("\n".join(out))  # every value was escaped above


BOARD_ROW = ('<tr class="wb-row wb-row--{state}" data-row>'
             '<td data-label="{l_sla}"><span class="sla sla--{state}"><span aria-hidden="true">{mark}</span> {label}'
             '</span></td>'
             '<th scope="row" data-label="{l_app}"><a class="wb-num" href="{url}" data-row-link>{number}</a></th>'
             '<td data-label="{l_proc}">{procedure}</td>'
             '<td data-label="{l_due}" class="wb-nowrap"><time datetime="{due}">{due}</time> '
             '<span class="wb-muted">{remaining}</span></td>'
             '<td data-label="{l_wait}" class="wb-nowrap">{waiting}</td>'
             '<td data-label="{l_held}">{holder}</td>'
             '<td class="wb-actions"><div class="wb-actions__group">{release}'
             '<form method="post" action="{url}assign/" class="wb-assign">{hidden}'
             '<label class="visually-hidden" for="{field_id}">{give_to}</label>'
             '<select id="{field_id}" name="assignee" required><option value="">{l_give}</option>{options}</select>'
             '<button type="submit" class="wb-btn wb-btn--quiet">{l_reassign}'
             '<span class="visually-hidden"> {number}</span></button></form></div></td></tr>')
BOARD_ROW_RELEASE = ('<form method="post" action="{url}release/">{hidden}'
                     '<button type="submit" class="wb-btn wb-btn--quiet">{l_release}'
                     '<span class="visually-hidden"> {number}</span></button></form>')


@register.simple_tag(takes_context=True)
def board_rows(context, rows, back_url: str = "", list_id: str = "", member_choices=()) -> str:
    """The ``<tr>``s of a supervisor's task list (``selectors.BoardRow``): release and reassign
    forms on each row.

    Built with ``str.format`` from strings escaped here, once each (labels, the options of the
    reassign select, procedure and clerk names are the same on many rows); only the application
    number is escaped per row. Every value that is not a constant of this module is escaped.
    """
    from django.middleware.csrf import get_token
    from django.utils.html import escape
    from django.utils.translation import gettext

    consts = {name: escape(gettext(text)) for name, text in (
        ("l_sla", "Time limit"), ("l_app", "Application"), ("l_proc", "Procedure"), ("l_due", "Due"),
        ("l_wait", "Waiting"), ("l_held", "Held by"), ("l_give", "Give to…"), ("l_reassign", "Reassign"))}
    l_release = escape(gettext("Release"))
    in_queue = '<span class="wb-muted">{}</span>'.format(escape(gettext("in the queue")))
    give_to = gettext("Give %(number)s to")
    hidden = ('<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" '
              'value="{}">').format(escape(get_token(context["request"])), escape(back_url))
    choices = [(pk, f'<option value="{escape(pk)}">{escape(name)}</option>') for pk, name in member_choices]
    options: dict[int | None, str] = {}  # by holder: every member but the holder
    escaped: dict[str, str] = {}
    slas: dict[Any, dict[str, str]] = {}
    list_id = escape(list_id)
    out = []
    for row in rows:
        sla = row.sla
        shown = slas.get(sla)
        if shown is None:
            shown = slas[sla] = {"state": escape(sla.state), "mark": sla.mark, "label": escape(sla.label),
                                     "remaining": escape(sla.remaining_text)}
        owner_id = row.owner_id
        if owner_id not in options:
            options[owner_id] = "".join(html for pk, html in choices if pk != owner_id)
        for text in (row.procedure_name, row.owner_name, row.waiting):
            if text not in escaped:
                escaped[text] = escape(text)
        number = escape(row.number)
        url = escape(row.url)
        out.append(BOARD_ROW.format(
            url=url, number=number, procedure=escaped[row.procedure_name], due=escape(row.due),
            waiting=escaped[row.waiting],
            holder=escaped[row.owner_name] if owner_id is not None else in_queue,
            release=BOARD_ROW_RELEASE.format(url=url, hidden=hidden, l_release=l_release, number=number)
            if owner_id is not None else "",
            hidden=hidden, field_id=f"assign-{list_id}-{row.task_id}", give_to=escape(give_to % {"number": row.number}),
            options=options[owner_id], **shown, **consts))
    return mark_safe("\n".join(out))  # every value above went through escape()
