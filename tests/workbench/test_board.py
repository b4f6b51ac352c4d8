"""The supervisor's board: load per procedure and per clerk, overdue work, reassigning, releasing
an absent clerk's tasks, and answering low ratings (好差评)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from govflow.applications.models import Application, Case, Evaluation, TimelineEntry
from govflow.applications.services import citizen_actions, deciding
from govflow.applications.timeline import PUBLIC_TIMELINE_KINDS
from govflow.catalog.calendar import add_working_days, local_date
from govflow.errors import InvalidInput, InvalidState, NotFound
from govflow.workbench.board import BOARD_OVERDUE_LIMIT, OVERDUE_PAGE_SIZE
from govflow.workbench.services import evaluation_follow_up

from ..factories import MembershipFactory, UserFactory
from ..stories import approve, case_of, submitted
from .bulk import queued_cases

pytestmark = pytest.mark.django_db

BOARD = "/workbench/board/"
OVERDUE = "/workbench/board/overdue/"


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def today():
    return local_date(timezone.now())


def test_only_supervisors_see_the_board(as_user, clerks, supervisor_sue_amr, demo_catalog):
    assert as_user(clerks["amr"]).get(BOARD).status_code == 403
    assert as_user(supervisor_sue_amr).get(BOARD).status_code == 200
    # Another department's board does not exist for her.
    assert as_user(supervisor_sue_amr).get(BOARD, {"office": "tax-330106"}).status_code == 404


def test_the_navigation_links_the_board_for_supervisors_only(as_user, clerks, supervisor_sue_amr):
    assert BOARD in as_user(supervisor_sue_amr).get("/workbench/").content.decode()
    assert BOARD not in as_user(clerks["amr"]).get("/workbench/").content.decode()


def test_it_counts_queued_in_review_overdue_and_due_soon_per_procedure_and_per_clerk(
        as_user, citizen_alice, clerks, clerk_dan_amr, supervisor_sue_amr):
    queued_cases(3, applicant=citizen_alice, due=add_working_days(today(), -1))  # overdue, queued
    queued_cases(2, applicant=citizen_alice, due=today())  # due soon, queued
    queued_cases(4, applicant=citizen_alice, due=add_working_days(today(), 5))  # on time, queued
    queued_cases(1, applicant=citizen_alice, due=add_working_days(today(), -2), owner=clerk_dan_amr)
    queued_cases(2, applicant=citizen_alice, due=add_working_days(today(), 6), owner=clerks["amr"])
    response = as_user(supervisor_sue_amr).get(BOARD)
    assert response.status_code == 200
    procedures = {row.key: row for row in response.context["procedures"]}
    licence = procedures["amr-licence"]
    assert (licence.queued, licence.in_review, licence.overdue, licence.due_soon) == (9, 3, 4, 2)
    clerks_rows = {row.key: row for row in response.context["clerks"]}
    assert (clerks_rows[clerk_dan_amr.pk].in_review, clerks_rows[clerk_dan_amr.pk].overdue) == (1, 1)
    assert (clerks_rows[clerks["amr"].pk].in_review, clerks_rows[clerks["amr"].pk].overdue) == (2, 0)
    assert clerks_rows[supervisor_sue_amr.pk].in_review == 0
    total = response.context["total"]
    assert (total.queued, total.in_review, total.overdue, total.due_soon) == (9, 3, 4, 2)
    assert len(response.context["overdue"]) == 4


def test_the_overdue_list_offers_reassign_and_release(on_a_working_day, as_user, citizen_alice, clerks,
                                                      clerk_dan_amr,
                                                      supervisor_sue_amr):
    late = queued_cases(1, applicant=citizen_alice, due=add_working_days(today(), -3), owner=clerks["amr"])[0]
    html = as_user(supervisor_sue_amr).get(BOARD).content.decode()
    assert late.application.number in html
    assert reverse("workbench:assign", args=[late.task_id]) in html
    assert reverse("workbench:release", args=[late.task_id]) in html
    assert "3 working days overdue" in html


def test_a_supervisor_releases_an_absent_clerks_tasks_from_the_board(as_user, business, clerks,
                                                                      supervisor_sue_amr):
    case = case_of(business, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    client = as_user(supervisor_sue_amr)
    held = client.get(BOARD, {"office": "amr-330106", "clerk": clerks["amr"].pk})
    assert [row.case_id for row in held.context["held"]] == [case.pk]
    back = f"{BOARD}?office=amr-330106&clerk={clerks['amr'].pk}"
    response = client.post(reverse("workbench:release", args=[case.task_id]), {"next": back})
    assert response.status_code == 302 and response.url == back
    assert Case.objects.get(pk=case.pk).status == "queued"


def test_a_supervisor_reassigns_from_the_board(as_user, business, clerks, clerk_dan_amr, supervisor_sue_amr):
    case = case_of(business, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    response = as_user(supervisor_sue_amr).post(reverse("workbench:assign", args=[case.task_id]),
                                                {"assignee": clerk_dan_amr.pk, "next": BOARD})
    assert response.url == BOARD
    assert Case.objects.get(pk=case.pk).owner == clerk_dan_amr


def test_tasks_held_by_a_former_member_stay_visible(as_user, business, clerks, supervisor_sue_amr):
    case = case_of(business, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    clerks["amr"].memberships.all().delete()
    response = as_user(supervisor_sue_amr).get(BOARD)
    assert any(row.key == clerks["amr"].pk and row.in_review == 1 for row in response.context["clerks"])


# -- overdue work: the most overdue on the board, every one on the overdue page ----------------------


def test_the_board_shows_the_most_overdue_tasks_and_links_the_full_list(on_a_working_day, as_user, citizen_alice,
                                                                        clerks,
                                                                        supervisor_sue_amr):
    very_late = queued_cases(2, applicant=citizen_alice, due=add_working_days(today(), -10))
    held_late = queued_cases(1, applicant=citizen_alice, due=add_working_days(today(), -5), owner=clerks["amr"])
    queued_cases(BOARD_OVERDUE_LIMIT + 3, applicant=citizen_alice, due=add_working_days(today(), -1))
    queued_cases(2, applicant=citizen_alice, due=add_working_days(today(), 3))  # on time
    response = as_user(supervisor_sue_amr).get(BOARD)
    rows = response.context["overdue"]
    assert len(rows) == BOARD_OVERDUE_LIMIT
    assert [row.case_id for row in rows[:3]] == [c.pk for c in very_late] + [held_late[0].pk]
    assert {row.sla.state for row in rows} == {"overdue"}
    assert response.context["total"].overdue == BOARD_OVERDUE_LIMIT + 6
    html = response.content.decode()
    assert "…and 6 more." in html
    assert f'href="{OVERDUE}?office=amr-330106"' in html
    assert "10 working days overdue" in html and held_late[0].application.number in html


def test_the_board_says_when_nothing_is_overdue(as_user, citizen_alice, supervisor_sue_amr):
    queued_cases(2, applicant=citizen_alice, due=add_working_days(today(), 3))
    response = as_user(supervisor_sue_amr).get(BOARD)
    html = response.content.decode()
    assert response.context["overdue"] == [] and "Nothing is overdue." in html
    assert OVERDUE not in html


def test_the_overdue_page_lists_every_overdue_task_a_page_at_a_time(as_user, citizen_alice, clerks,
                                                                     supervisor_sue_amr):
    held = queued_cases(2, applicant=citizen_alice, due=add_working_days(today(), -4), owner=clerks["amr"])
    queued = queued_cases(OVERDUE_PAGE_SIZE + 3, applicant=citizen_alice, due=add_working_days(today(), -2))
    queued_cases(3, applicant=citizen_alice, due=add_working_days(today(), 2))  # on time: not listed
    client = as_user(supervisor_sue_amr)
    first = client.get(OVERDUE, {"office": "amr-330106"})
    assert first.status_code == 200 and first.context["page"].paginator.count == OVERDUE_PAGE_SIZE + 5
    second = client.get(OVERDUE, {"office": "amr-330106", "page": 2})
    listed = [row.case_id for row in first.context["rows"]] + [row.case_id for row in second.context["rows"]]
    assert len(first.context["rows"]) == OVERDUE_PAGE_SIZE and len(second.context["rows"]) == 5
    assert listed[:2] == [c.pk for c in held]  # most overdue first
    assert sorted(listed) == sorted(c.pk for c in held + queued)
    html = first.content.decode()
    assert f"{OVERDUE_PAGE_SIZE + 5} overdue tasks" in html
    assert "?office=amr-330106&amp;page=2" in html and 'href="/workbench/board/?office=amr-330106"' in html
    # The board's actions on every row, coming back to this page.
    assert reverse("workbench:release", args=[held[0].task_id]) in html
    assert reverse("workbench:assign", args=[queued[0].task_id]) in html
    assert reverse("workbench:release", args=[queued[0].task_id]) not in html  # queued: nothing to release
    back = f"{OVERDUE}?office=amr-330106&page=2"
    assert 'name="next" value="/workbench/board/overdue/?office=amr-330106&amp;page=2"' in second.content.decode()
    response = client.post(reverse("workbench:release", args=[held[0].task_id]), {"next": back})
    assert response.status_code == 302 and response.url == back
    assert Case.objects.get(pk=held[0].pk).status == "queued"


def test_the_overdue_page_is_for_the_departments_supervisors(client, as_user, clerks, supervisor_sue_amr):
    assert client.get(OVERDUE).status_code == 302  # to the login page
    assert as_user(clerks["amr"]).get(OVERDUE).status_code == 403
    assert as_user(supervisor_sue_amr).get(OVERDUE, {"office": "tax-330106"}).status_code == 404
    response = as_user(supervisor_sue_amr).get(OVERDUE)
    assert response.status_code == 200 and "Nothing is overdue." in response.content.decode()


def test_the_board_and_the_overdue_page_speak_chinese(on_a_working_day, as_user, citizen_alice, supervisor_sue_amr):
    queued_cases(BOARD_OVERDUE_LIMIT + 1, applicant=citizen_alice, due=add_working_days(today(), -1))
    client = as_user(supervisor_sue_amr, language="zh-hans")
    assert "查看全部超期办件" in client.get(BOARD).content.decode()
    html = client.get(OVERDUE).content.decode()
    for text in ("超期办件：", "返回督办看板", "超期 1 个工作日"):
        assert text in html, text


def test_task_rows_escape_names_and_numbers(as_user, citizen_alice, clerk_dan_amr, supervisor_sue_amr):
    clerk_dan_amr.name = '<b onmouseover="x()">Dan</b>'
    clerk_dan_amr.save(update_fields=["name"])
    case = queued_cases(1, applicant=citizen_alice, due=add_working_days(today(), -2), owner=clerk_dan_amr)[0]
    Application.objects.filter(pk=case.application_id).update(number='GF-<i>"1"</i>')
    for url in (BOARD, OVERDUE):
        html = as_user(supervisor_sue_amr).get(url, {"clerk": clerk_dan_amr.pk}).content.decode()
        assert "<b " not in html and "<i>" not in html
        assert "&lt;b onmouseover=&quot;x()&quot;&gt;Dan&lt;/b&gt;" in html
        assert "GF-&lt;i&gt;&quot;1&quot;&lt;/i&gt;" in html


def test_a_clerks_held_tasks_beyond_the_limit_are_counted(as_user, citizen_alice, clerk_dan_amr,
                                                          supervisor_sue_amr):
    from govflow.workbench.board import BOARD_LIST_LIMIT

    queued_cases(BOARD_LIST_LIMIT + 2, applicant=citizen_alice, owner=clerk_dan_amr)
    response = as_user(supervisor_sue_amr).get(BOARD, {"clerk": clerk_dan_amr.pk})
    assert len(response.context["held"]) == BOARD_LIST_LIMIT and response.context["held_more"] == 2
    assert "…and 2 more." in response.content.decode()


# -- low ratings ---------------------------------------------------------------------------------------


def rated(citizen, clerks, score: int, comment: str = "等了太久") -> Evaluation:
    app = submitted(citizen, "business-startup", answers=None)
    for code in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                 "hpf-employer-account"):
        approve(app, code, clerks[code.split("-")[0]])
    return citizen_actions.evaluation_create(application=app, user=citizen, score=score, comment=comment)


@pytest.fixture
def bad_rating(citizen_alice, clerks):
    return rated(citizen_alice, clerks, 1)


def test_low_ratings_of_the_departments_applications_wait_for_an_answer(as_user, bad_rating, citizen_alice,
                                                                         clerks, supervisor_sue_amr):
    rated(citizen_alice, clerks, 5, "很好")  # a good rating needs no answer
    newborn = submitted(citizen_alice, "newborn")  # another department's application
    for code in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"):
        approve(newborn, code, clerks[code.split("-")[0]])
    citizen_actions.evaluation_create(application=newborn, user=citizen_alice, score=2)
    response = as_user(supervisor_sue_amr).get(BOARD)
    assert [e.pk for e in response.context["follow_ups"]] == [bad_rating.pk]
    html = response.content.decode()
    assert "等了太久" in html and bad_rating.application.number in html
    assert reverse("workbench:follow-up", args=[bad_rating.pk]) in html


def test_answering_a_low_rating_records_who_when_and_what(as_user, bad_rating, supervisor_sue_amr):
    url = reverse("workbench:follow-up", args=[bad_rating.pk])
    before = TimelineEntry.objects.count()
    response = as_user(supervisor_sue_amr).post(url, {"note": "已电话回访，优化了审核流程。", "office": "amr-330106"})
    assert response.status_code == 302 and response.url == f"{BOARD}?office=amr-330106#follow-ups"
    bad_rating.refresh_from_db()
    assert bad_rating.follow_up_note == "已电话回访，优化了审核流程。"
    assert bad_rating.followed_up_by == supervisor_sue_amr and bad_rating.followed_up_at is not None
    # one staff-only entry on the application's timeline, never shown to the citizen
    [entry] = TimelineEntry.objects.filter(pk__gt=before_id(before))
    assert (entry.kind, entry.actor, entry.application_id) == ("evaluation.followed_up", supervisor_sue_amr,
                                                              bad_rating.application_id)
    assert entry.data == {"evaluation": bad_rating.pk, "contacted": None, "contacted_at": None, "channel": ""}
    assert entry.kind not in PUBLIC_TIMELINE_KINDS
    board = as_user(supervisor_sue_amr).get(BOARD)
    assert board.context["follow_ups"] == [] and [e.pk for e in board.context["answered"]] == [bad_rating.pk]


def before_id(count: int) -> int:
    """The id of the last timeline entry when there were ``count`` of them."""
    return TimelineEntry.objects.order_by("id").values_list("id", flat=True)[count - 1] if count else 0


def test_the_answer_says_whether_when_and_how_the_citizen_was_contacted(as_user, bad_rating, supervisor_sue_amr):
    url = reverse("workbench:follow-up", args=[bad_rating.pk])
    Evaluation.objects.filter(pk=bad_rating.pk).update(created_at=timezone.now() - timedelta(hours=2))
    board = as_user(supervisor_sue_amr).get(BOARD).content.decode()
    assert f'id="contacted-{bad_rating.pk}"' in board and 'value="phone"' in board
    contacted_on = timezone.localtime(timezone.now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    response = as_user(supervisor_sue_amr).post(url, {"note": "已回访", "contacted": "yes", "channel": "phone",
                                                      "contacted_at": contacted_on.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    bad_rating.refresh_from_db()
    assert (bad_rating.citizen_contacted, bad_rating.contacted_at, bad_rating.contact_channel) == (
        True, contacted_on, "phone")
    entry = TimelineEntry.objects.get(kind="evaluation.followed_up")
    assert entry.data == {"evaluation": bad_rating.pk, "contacted": True,
                          "contacted_at": contacted_on.isoformat(), "channel": "phone"}


@pytest.mark.parametrize("posted", [
    {"contacted": "yes"},  # how?
    {"contacted": "yes", "channel": "pigeon"},
    {"contacted": "no", "channel": "phone"},
    {"contacted": "maybe"},
    {"contacted": "yes", "channel": "sms", "contacted_at": "2999-01-01T10:00"},  # in the future
    {"contacted": "yes", "channel": "sms", "contacted_at": "2000-01-01T10:00"},  # before the rating
    {"contacted": "yes", "channel": "sms", "contacted_at": "yesterday"},
])
def test_a_wrong_contact_changes_nothing(as_user, bad_rating, supervisor_sue_amr, posted):
    before = TimelineEntry.objects.count()
    response = as_user(supervisor_sue_amr).post(reverse("workbench:follow-up", args=[bad_rating.pk]),
                                                {"note": "已回访", **posted})
    assert response.status_code == 302 and said(response)
    bad_rating.refresh_from_db()
    assert bad_rating.followed_up_at is None and bad_rating.citizen_contacted is None
    assert TimelineEntry.objects.count() == before


def test_the_service_checks_the_contact_itself(bad_rating, supervisor_sue_amr):
    for wrong in ({"contacted": "yes"}, {"contacted": True}, {"contacted": True, "channel": "fax"},
                  {"contacted": False, "channel": "phone"},
                  {"contacted": True, "channel": "phone", "contacted_at": "2026-01-01"},
                  {"contacted": True, "channel": "phone", "contacted_at": timezone.now() + timedelta(hours=1)}):
        with pytest.raises(InvalidInput):
            evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note="x", **wrong)
    done = evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note="x", contacted=False)
    assert (done.citizen_contacted, done.contacted_at, done.contact_channel) == (False, None, "")


def test_an_answer_needs_a_note(as_user, bad_rating, supervisor_sue_amr):
    response = as_user(supervisor_sue_amr).post(reverse("workbench:follow-up", args=[bad_rating.pk]),
                                                {"note": "  "})
    assert said(response) == ["Write what was done about this rating."]
    bad_rating.refresh_from_db()
    assert bad_rating.followed_up_at is None


def test_a_rating_is_answered_once(as_user, bad_rating, supervisor_sue_amr):
    url = reverse("workbench:follow-up", args=[bad_rating.pk])
    as_user(supervisor_sue_amr).post(url, {"note": "第一次"})
    response = as_user(supervisor_sue_amr).post(url, {"note": "第二次"})
    assert said(response) == ["This rating has already been answered."]
    bad_rating.refresh_from_db()
    assert bad_rating.follow_up_note == "第一次"


def test_clerks_and_other_departments_supervisors_cannot_answer(as_user, bad_rating, clerks, demo_catalog):
    from govflow.catalog.models import Department

    url = reverse("workbench:follow-up", args=[bad_rating.pk])
    assert as_user(clerks["amr"]).post(url, {"note": "x"}).status_code == 403
    health_boss = UserFactory(username="boss-health")
    MembershipFactory(user=health_boss, department=Department.objects.get(code="health"), role="supervisor")
    assert as_user(health_boss).post(url, {"note": "x"}).status_code == 404
    assert as_user(health_boss).post("/workbench/board/evaluations/99999999/follow-up/", {"note": "x"}).status_code == 404
    assert as_user(health_boss).post(f"/workbench/board/evaluations/{2**70}/follow-up/", {"note": "x"}).status_code == 404
    bad_rating.refresh_from_db()
    assert bad_rating.followed_up_at is None


def test_the_follow_up_service_checks_everything_itself(bad_rating, supervisor_sue_amr, clerks, citizen_alice):
    with pytest.raises(NotFound):
        evaluation_follow_up(evaluation=bad_rating, user=clerks["amr"], note="x")  # not a supervisor
    with pytest.raises(InvalidInput):
        evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note="")
    with pytest.raises(InvalidInput):
        evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note=None)
    with pytest.raises(InvalidInput):
        evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note="x" * 5001)
    evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note="done")
    with pytest.raises(InvalidState):
        evaluation_follow_up(evaluation=bad_rating, user=supervisor_sue_amr, note="again")
    good = rated(citizen_alice, clerks, 4)
    with pytest.raises(NotFound):  # nothing to follow up
        evaluation_follow_up(evaluation=good, user=supervisor_sue_amr, note="x")


def test_the_two_rating_lists_keep_their_order_and_limits(citizen_alice, supervisor_sue_amr):
    """Read together (UNION ALL on PostgreSQL), the lists still come out oldest-open-first and
    latest-answered-first, each cut at its own limit."""
    from govflow.workbench.board import evaluations_for_follow_up

    cases = queued_cases(6, applicant=citizen_alice)
    base = timezone.now() - timezone.timedelta(days=10)
    ratings = [Evaluation.objects.create(application_id=case.application_id, score=1, needs_follow_up=True,
                                         created_at=base + timezone.timedelta(hours=5 - i))
               for i, case in enumerate(cases)]
    # three answered, at times out of creation order; three still open
    for rating, hours in ((ratings[0], 3), (ratings[2], 1), (ratings[4], 2)):
        Evaluation.objects.filter(pk=rating.pk).update(followed_up_at=base + timezone.timedelta(days=1, hours=hours),
                                                       followed_up_by=supervisor_sue_amr, follow_up_note="done")
    office = cases[0].office_id
    open_rows, answered = evaluations_for_follow_up(office, limit=2, answered_limit=2)
    assert [r.pk for r in open_rows] == [ratings[5].pk, ratings[3].pk]  # oldest first, cut at 2
    assert [r.pk for r in answered] == [ratings[0].pk, ratings[4].pk]  # latest answer first, cut at 2
    assert answered[0].note == "done" and answered[0].by == supervisor_sue_amr.name
    # the columns are converted on both databases: times in local time, the one thing's name localized
    local_created = timezone.localtime(ratings[5].created_at)
    assert (open_rows[0].at_iso, open_rows[0].at_text) == (local_created.isoformat(), f"{local_created:%Y-%m-%d}")
    assert open_rows[0].one_thing == "开办企业一件事" and open_rows[0].number == cases[5].application.number
    with translation.override("en"):
        open_en, _answered = evaluations_for_follow_up(office, limit=1, answered_limit=1)
    assert open_en[0].one_thing == "Start a business"
    local_answer = timezone.localtime(base + timezone.timedelta(days=1, hours=3))
    assert answered[0].at_text == f"{local_answer:%Y-%m-%d %H:%M}"
    open_all, answered_all = evaluations_for_follow_up(office)
    assert [r.pk for r in open_all] == [ratings[5].pk, ratings[3].pk, ratings[1].pk]
    assert [r.pk for r in answered_all] == [ratings[0].pk, ratings[4].pk, ratings[2].pk]
