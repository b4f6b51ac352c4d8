"""The admin's change forms say every error of the page at once, on top, each linked to its field:
the main form's and each inline row's (govflow/templates/admin/change_form.html)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from govflow.catalog.models import Output, Procedure

from ..admin_forms import form_data

pytestmark = pytest.mark.django_db


def test_a_change_form_with_three_bad_values_lists_all_three_above_djangos_errornote(admin_client, demo_catalog):
    procedure = Procedure.objects.get(code="amr-licence")
    change = reverse("admin:catalog_procedure_change", args=[procedure.pk])
    data = form_data(admin_client.get(change).content, "procedure_form")
    prefix = next(k for k in data if k.endswith("-0-pattern")).removesuffix("-0-pattern")
    data.update({"statutory_days": "abc", "committed_days": "", f"{prefix}-0-pattern": "[unclosed"})

    response = admin_client.post(change, data)

    assert response.status_code == 200  # Django's admin shows its form again
    html = response.content.decode()
    start = html.index('class="errornote govflow-error-summary"')
    summary = html[start:html.index("</div>", start)]
    assert start < html.index('<p class="errornote">')  # on top of Django's own note
    assert "There is a problem" in summary and 'role="alert"' in summary and 'tabindex="-1"' in summary
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links[:2] == ["id_statutory_days", "id_committed_days"]
    assert f"id_{prefix}-0-pattern" in links  # an inline row's error is in it too
    for anchor in links:
        assert f'id="{anchor}"' in html  # each link leads to its field, which shows its own error
    assert html.count('class="errorlist') >= 3
    procedure.refresh_from_db()
    assert procedure.statutory_days != "abc" and Output.objects.filter(pattern="[unclosed").count() == 0


def test_a_change_form_without_errors_has_no_summary(admin_client, demo_catalog):
    procedure = Procedure.objects.get(code="amr-licence")
    html = admin_client.get(reverse("admin:catalog_procedure_change", args=[procedure.pk])).content.decode()
    assert "govflow-error-summary" not in html
