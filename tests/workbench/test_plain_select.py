"""The queue filters' ``PlainSelect`` writes the HTML Django's ``Select`` template writes (the
same elements, attributes and text, compared as parsed HTML), escaped, with the submitted choice
selected."""
import pytest
from django import forms
from django.test.html import parse_html

from govflow.workbench.forms import PlainSelect, QueueFilterForm

PROCEDURES = [("amr-licence", 'Licence <b>"A&B"</b>'), ("tax-register", "税务登记")]


def _both(data: dict | None, name: str) -> tuple[str, str]:
    form = QueueFilterForm(data, procedures=PROCEDURES)
    plain = str(form[name])
    form.fields[name].widget = forms.Select(choices=form.fields[name].choices)
    return plain, str(form[name])


@pytest.mark.parametrize("data", [None, {"procedure": "tax-register", "sla": "overdue"}, {"procedure": "<x>"}])
@pytest.mark.parametrize("name", ["procedure", "sla"])
def test_it_writes_what_djangos_select_writes(data, name):
    plain, django_html = _both(data, name)
    assert parse_html(plain) == parse_html(django_html)


def test_it_escapes_labels_and_marks_the_chosen_option():
    plain, _ = _both({"procedure": "tax-register"}, "procedure")
    assert 'Licence &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;' in plain and "<b>" not in plain
    assert '<option value="tax-register" selected>税务登记</option>' in plain
    assert plain.startswith('<select name="procedure" id="id_procedure">')
    assert isinstance(QueueFilterForm(procedures=PROCEDURES).fields["sla"].widget, PlainSelect)
