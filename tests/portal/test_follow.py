"""Follow: my applications, one application's page, the timeline; never another citizen's."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from govflow.applications.models import Application, ApplicationStatus, CaseStatus
from govflow.applications.services import citizen_actions, deciding
from tests.stories import OUTPUTS, approve, case_of, draft, submitted

pytestmark = pytest.mark.django_db


def test_my_applications_lists_only_mine_with_their_status(alice_client, citizen_alice, outsider_charlie):
    mine = submitted(citizen_alice, "business-startup")
    draft(citizen_alice, "newborn", materials={})
    submitted(outsider_charlie, "business-startup")

    response = alice_client.get(reverse("applications"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 2
    body = response.content.decode()
    assert mine.number in body
    assert reverse("application", args=[mine.pk]) in body
    submitted_row = next(r for r in rows if r["application"].pk == mine.pk)
    assert submitted_row["total"] == 5 and submitted_row["done"] == 0


def test_each_row_shows_progress_status_and_dates_in_the_local_time_zone(alice_client, citizen_alice, clerks):
    business = submitted(citizen_alice, "business-startup")
    approve(business, "amr-licence", clerks["amr"])
    withdrawn = citizen_actions.application_withdraw(application=submitted(citizen_alice, "newborn"), user=citizen_alice)
    saved = draft(citizen_alice, "newborn", materials={})
    evening_utc = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # already 2 March, 01:30 in Asia/Shanghai
    Application.objects.filter(pk=business.pk).update(submitted_at=evening_utc)
    Application.objects.filter(pk=saved.pk).update(updated_at=evening_utc)

    response = alice_client.get(reverse("applications"))

    rows = {r["application"].pk: r for r in response.context["rows"]}
    assert (rows[business.pk]["done"], rows[business.pk]["total"]) == (1, 5)
    assert rows[withdrawn.pk]["done"] == rows[withdrawn.pk]["total"] > 0  # cancelled counts as finished
    assert (rows[saved.pk]["done"], rows[saved.pk]["total"]) == (0, 0)
    assert [rows[pk]["status_label"] for pk in (business.pk, withdrawn.pk, saved.pk)] == \
        ["In progress", "Withdrawn", "Draft"]
    assert rows[business.pk]["name"] == "Start a business" and rows[saved.pk]["name"] == "Welcome a newborn"
    business.refresh_from_db()
    assert (rows[business.pk]["submitted"], rows[saved.pk]["saved"]) == ("2026-03-02", "2026-03-02 01:30")
    assert rows[business.pk]["expected_finish"] == business.expected_finish.isoformat()
    body = response.content.decode()
    assert "<dd>1 / 5</dd>" in body and "<dd>2026-03-02</dd>" in body and "<dd>2026-03-02 01:30</dd>" in body
    assert '<option value="business-startup">Start a business</option>' in body


def test_my_applications_filters_by_status_and_one_thing(alice_client, citizen_alice):
    submitted(citizen_alice, "business-startup")
    draft(citizen_alice, "newborn", materials={})

    drafts = alice_client.get(reverse("applications"), {"status": "draft"})
    business = alice_client.get(reverse("applications"), {"one_thing": "business-startup"})
    none = alice_client.get(reverse("applications"), {"status": "completed"})
    bogus = alice_client.get(reverse("applications"), {"status": "nonsense"})

    assert [r["application"].status for r in drafts.context["rows"]] == ["draft"]
    assert [r["application"].one_thing.code for r in business.context["rows"]] == ["business-startup"]
    assert none.context["rows"] == [] and "No application matches these filters." in none.content.decode()
    assert bogus.status_code == 200 and len(bogus.context["rows"]) == 2


def test_an_empty_list_points_to_the_services(alice_client):
    response = alice_client.get(reverse("applications"))

    assert "You have no applications yet." in response.content.decode()


@pytest.mark.parametrize("count", [1, 10])
def test_the_list_runs_a_constant_number_of_queries(alice_client, citizen_alice, count,
                                                    django_assert_max_num_queries):
    for _ in range(count):
        submitted(citizen_alice, "newborn")

    with django_assert_max_num_queries(11):  # the "acting as" switcher's 2 included
        response = alice_client.get(reverse("applications"))

    assert len(response.context["rows"]) == count


def test_the_application_page_runs_a_constant_number_of_queries(alice_client, citizen_alice, clerks,
                                                                django_assert_max_num_queries):
    application = submitted(citizen_alice, "business-startup")
    approve(application, "amr-licence", clerks["amr"])

    with django_assert_max_num_queries(14):  # the "acting as" switcher's 2 included
        response = alice_client.get(reverse("application", args=[application.pk]))

    assert response.status_code == 200


def test_the_application_page_shows_every_department_in_one_place(alice_client, citizen_alice, clerks):
    application = submitted(citizen_alice, "business-startup")
    deciding.task_claim(case=case_of(application, "amr-licence"), user=clerks["amr"])

    response = alice_client.get(reverse("application", args=[application.pk]))

    assert response.status_code == 200
    cases = {row["case"].procedure_code: row for row in response.context["cases"]}
    assert len(cases) == 5
    licence = cases["amr-licence"]
    assert licence["status"] == CaseStatus.IN_REVIEW
    assert licence["department"] == "Administration for Market Regulation"
    assert licence["holder"] == "Administration for Market Regulation (a clerk is reviewing it)"
    assert licence["due_date"] is not None
    assert cases["tax-registration"]["holder"].startswith("Starts when Business licence registration")
    body = response.content.decode()
    assert application.number in body
    assert application.expected_finish.strftime("%Y-%m-%d") in body
    assert clerks["amr"].username not in body  # departments, never individual clerks
    kinds = [e["kind"] for e in response.context["timeline"]]
    assert kinds[0] == "application.submitted" and "case.claimed" in kinds


def test_results_appear_once_issued(alice_client, citizen_alice, clerks):
    application = submitted(citizen_alice, "business-startup")
    approve(application, "amr-licence", clerks["amr"])

    response = alice_client.get(reverse("application", args=[application.pk]))

    (result,) = response.context["results"]
    assert result["procedure"] == "Business licence registration"
    assert result["output"].value == OUTPUTS["amr-licence"]["uscc"] and result["certificate"] is None
    assert OUTPUTS["amr-licence"]["uscc"] in response.content.decode()


def test_a_rejection_shows_its_reason(alice_client, citizen_alice, clerks):
    application = submitted(citizen_alice, "business-startup")
    case = case_of(application, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_complete(case=case, user=clerks["amr"], decision="reject",
                           comment="名称与已登记企业重复（《企业名称登记管理规定》第十七条）")

    body = alice_client.get(reverse("application", args=[application.pk])).content.decode()

    assert "第十七条" in body


@pytest.mark.parametrize("name", ["application", "apply-guide", "apply-form", "apply-materials", "apply-check",
                                  "receipt", "application-withdraw", "application-delete"])
def test_another_citizens_application_does_not_exist(charlie_client, citizen_alice, name):
    mine = draft(citizen_alice, "business-startup") if "apply" in name or "delete" in name \
        else submitted(citizen_alice, "business-startup")

    assert charlie_client.get(reverse(name, args=[mine.pk])).status_code == 404


@pytest.mark.parametrize("name", ["apply-submit", "application-correct", "application-withdraw",
                                  "application-evaluate", "application-delete", "apply-materials", "apply-form"])
def test_another_citizen_cannot_change_an_application(charlie_client, citizen_alice, name):
    mine = submitted(citizen_alice, "business-startup")

    response = charlie_client.post(reverse(name, args=[mine.pk]), {"submit_key": "x", "score": "5"})

    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.status == ApplicationStatus.SUBMITTED


def test_a_missing_application_is_404(alice_client):
    assert alice_client.get("/applications/999999/").status_code == 404
