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
       '<td data-label="{l_wait}" class="wb-nowrap">{waiting}</td>{holder}'
       '<td class="wb-actions">{action}</td></tr>')
CLAIM = ('<button type="submit" class="wb-btn" formaction="{}claim/" data-claim>{}'
         '<span class="visually-hidden"> {}</span></button>')
RELEASE = ('<button type="submit" class="wb-btn wb-btn--quiet" formaction="{}release/" data-release>{}'
           '<span class="visually-hidden"> {}</span></button>')
BOARD_RELEASE = ('<form method="post" action="{}release/">{}<button type="submit" class="wb-btn wb-btn--quiet">{}'
                 '<span class="visually-hidden"> {}</span></button></form>')
BOARD_ASSIGN = ('<div class="wb-actions__group">{}<form method="post" action="{}assign/" class="wb-assign">{}'
                '<label class="visually-hidden" for="{}">{}</label><select id="{}" name="assignee" required>'
                '<option value="">{}</option>{}</select><button type="submit" class="wb-btn wb-btn--quiet">{}'
                '<span class="visually-hidden"> {}</span></button></form></div>')


@register.simple_tag(takes_context=True)
def task_rows(context, rows, mode: str, show_department: bool = False, back_url: str = "", list_id: str = "",
              member_choices=()) -> str:
    """The ``<tr>``s of a task list (``mode``: queue, mine or board), built in Python.

    A queue page shows fifty rows of eight cells; through the template engine that was most of
    the page's time, here it is one ``format_html`` per row. Labels are translated once.
    Claim and release buttons use ``formaction`` inside the one form that wraps the table
    (its CSRF token and ``next``), so a row carries no form of its own; the board's rows,
    which have a select each, keep theirs.
    """
    from django.middleware.csrf import get_token
    from django.utils.html import format_html_join
    from django.utils.translation import gettext

    labels = {"l_sla": gettext("Time limit"), "l_app": gettext("Application"), "l_proc": gettext("Procedure"),
              "l_due": gettext("Due"), "l_wait": gettext("Waiting")}
    l_dept, l_held, l_queue = gettext("Department"), gettext("Held by"), gettext("in the queue")
    l_claim, l_release, l_reassign, l_give = gettext("Claim"), gettext("Release"), gettext("Reassign"), \
        gettext("Give to…")
    hidden = ""
    if mode == "board":
        hidden = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                             '<input type="hidden" name="next" value="{}">', get_token(context["request"]), back_url)
    sla_labels: dict[str, str] = {}
    remaining: dict[int | None, str] = {}
    labels_e = {key: esc(value) for key, value in labels.items()}
    l_dept_e, l_claim_e, l_release_e = esc(l_dept), esc(l_claim), esc(l_release)
    remaining_e: dict[int | None, str] = {}
    sla_e: dict[str, tuple[str, str, str]] = {}
    out = []
    for row in rows:
        sla, number = row.sla, row.number
        if sla.state not in sla_labels:
            sla_labels[sla.state] = sla.label
        if sla.remaining not in remaining:
            remaining[sla.remaining] = sla.remaining_text
        department = format_html('<td data-label="{}">{}</td>', l_dept, row.department_name) \
            if show_department else ""
        holder = ""
        if mode in ("queue", "mine"):
            # The fast path of the two long lists: str.format over values escaped here (html.escape
            # is what Django's escape does), without format_html's per-argument machinery.
            number_e, url_e = esc(number), esc(row.url)
            if sla.remaining not in remaining_e:
                remaining_e[sla.remaining] = esc(remaining[sla.remaining])
            if sla.state not in sla_e:
                sla_e[sla.state] = (esc(sla.state), esc(sla.mark), esc(sla_labels[sla.state]))
            state_e, mark_e, label_e = sla_e[sla.state]
            department_e = f'<td data-label="{l_dept_e}">{esc(row.department_name)}</td>' if show_department else ""
            action_e = (CLAIM if mode == "queue" else RELEASE).format(
                url_e, l_claim_e if mode == "queue" else l_release_e, number_e)
            out.append(ROW.format(state=state_e, mark=mark_e, label=label_e, url=url_e, number=number_e,
                                  procedure=esc(row.procedure_name), department=department_e, due=esc(row.due),
                                  remaining=remaining_e[sla.remaining], waiting=esc(row.waiting), holder="",
                                  action=action_e, **labels_e))
            continue
        if mode == "board":
            owner_id = row.case.owner_id
            holder = format_html('<td data-label="{}">{}</td>', l_held, row.owner_name) if owner_id is not None \
                else format_html('<td data-label="{}"><span class="wb-muted">{}</span></td>', l_held, l_queue)
            release = format_html(BOARD_RELEASE, row.url, hidden, l_release, number) if owner_id is not None else ""
            field_id = f"assign-{list_id}-{row.task_id}"
            options = format_html_join("", '<option value="{}">{}</option>',
                                       ((pk, name) for pk, name in member_choices if pk != owner_id))
            action = format_html(BOARD_ASSIGN, release, row.url, hidden, field_id,
                                 gettext("Give %(number)s to") % {"number": number}, field_id, l_give, options,
                                 l_reassign, number)
        else:
            action = ""
        out.append(format_html(ROW, state=sla.state, mark=sla.mark, label=sla_labels[sla.state], url=row.url,
                               number=number, procedure=row.procedure_name, department=department, due=row.due,
                               remaining=remaining[sla.remaining], waiting=row.waiting, holder=holder,
                               action=action, **labels))
    return mark_safe("\n".join(out))  # every piece went through format_html or esc()


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
