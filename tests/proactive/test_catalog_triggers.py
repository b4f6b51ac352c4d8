"""Proactive services (免申即享) in the catalog format: ``triggers`` on a one thing (docs/proactive.md)."""
from __future__ import annotations

import json

import pytest
from django.utils import translation

from govflow.catalog import models as m
from govflow.catalog.io import CatalogValidationError, export_catalog, validate_document
from govflow.catalog.services import build_snapshot, import_catalog
from govflow.catalog.triggers import parse_trigger, parse_triggers

from ..catalog.test_io import demo_document, example_document, wipe_catalog
from ..conftest import DEMO_CATALOG

DEMO_PROACTIVE = DEMO_CATALOG.with_name("demo_proactive.json")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def proactive_document() -> dict:
    """The demo catalog with the proactive demo merged in, as seed_demo does."""
    from govflow.demo.management.commands.seed_demo import with_additions

    return with_additions(demo_document(), json.loads(DEMO_PROACTIVE.read_text(encoding="utf-8")))


def test_the_proactive_demo_is_valid_and_its_trigger_grants_on_the_citizen_id():
    doc = proactive_document()
    assert validate_document(doc) == []
    one_thing = next(o for o in doc["one_things"] if o["code"] == "newborn-insurance")
    assert one_thing["triggers"] == [{"on": "output:citizen_id",
                                      "when": '!("mi-newborn-insurance" in event.procedures)', "mode": "grant"}]


def _with_triggers(triggers: list) -> dict:
    doc = example_document()
    doc["one_things"][0]["triggers"] = triggers
    return doc


def test_every_trigger_problem_is_reported_at_once():
    doc = _with_triggers([
        {"on": "output:nope", "mode": "offer"},                      # unknown output
        {"on": "completed:no-such-thing", "mode": "offer"},          # unknown one thing
        {"on": "import:list", "when": "event.x >", "mode": "offer"},  # does not parse
        {"on": "import:other", "when": "company_name == 'x'", "mode": "offer"},  # a name it may not use
        {"on": "import:grants", "mode": "grant"},                    # steps without an automatic checker
        {"on": "import:grants", "mode": "offer"},                    # the same event twice
        {"on": "completed:business-startup", "mode": "offer"},       # its own completion
    ])
    errors = {(e.path, e.message) for e in validate_document(doc)}
    at = "$.one_things[0].triggers"
    got = {path for path, _ in errors}
    assert got == {f"{at}[0].on", f"{at}[1].on", f"{at}[2].when", f"{at}[3].when", f"{at}[4].mode",
                   f"{at}[5].on", f"{at}[6].on"}
    messages = dict(errors)
    assert "unknown output 'nope'" in messages[f"{at}[0].on"]
    assert "unknown one thing 'no-such-thing'" in messages[f"{at}[1].on"]
    assert "not a valid CEL expression" in messages[f"{at}[2].when"]
    assert "company_name" in messages[f"{at}[3].when"]
    assert "amr-licence" in messages[f"{at}[4].mode"]


@pytest.mark.parametrize("trigger", [
    {"on": "somewhere:x", "mode": "offer"}, {"on": "output:uscc", "mode": "maybe"},
    {"on": "output:uscc"}, {"on": "output:uscc", "mode": "offer", "extra": 1}, "output:uscc",
])
def test_a_malformed_trigger_is_refused_by_the_structure(trigger):
    assert validate_document(_with_triggers([trigger]))


@pytest.mark.django_db
def test_an_invalid_trigger_changes_nothing_on_import():
    with pytest.raises(CatalogValidationError):
        import_catalog(_with_triggers([{"on": "output:nope", "mode": "offer"}]))
    assert not m.OneThing.objects.exists()


@pytest.mark.django_db
def test_triggers_round_trip_in_a_whole_catalog_export_but_not_in_a_published_version():
    doc = _with_triggers([{"on": "output:uscc", "when": "event.value != ''", "mode": "offer"},
                          {"on": "import:startups", "mode": "offer"}])
    import_catalog(doc)
    one_thing = m.OneThing.objects.get(code="business-startup")
    assert [t.on for t in parse_triggers(one_thing.triggers)] == ["output:uscc", "import:startups"]
    first = export_catalog()
    assert first["one_things"][0]["triggers"] == doc["one_things"][0]["triggers"]
    # Live configuration: the published snapshot and a one-thing export leave them out.
    assert "triggers" not in one_thing.current_version.definition["one_things"][0]
    assert "triggers" not in build_snapshot(one_thing)["one_things"][0]
    wipe_catalog()
    import_catalog(first)
    assert export_catalog() == first


@pytest.mark.django_db
def test_changing_only_a_trigger_publishes_no_new_version():
    import_catalog(example_document())
    result = import_catalog(_with_triggers([{"on": "import:startups", "mode": "offer"}]))
    assert result.published == []
    assert m.OneThing.objects.get(code="business-startup").triggers == [{"on": "import:startups", "mode": "offer"}]
    assert m.OneThingVersion.objects.count() == 1


def test_a_trigger_rule_reads_the_event_and_the_person_and_is_false_when_it_cannot_be_evaluated():
    trigger = parse_trigger({"on": "import:x", "when": "person.age >= 60 && event.data.county == 'xihu'",
                             "mode": "offer"})
    assert trigger.applies(event={"data": {"county": "xihu"}}, person={"age": 61})
    assert not trigger.applies(event={"data": {"county": "xihu"}}, person={"age": 59})
    assert not trigger.applies(event={"data": {}}, person={"age": 61})  # a missing key: false, not an error
    assert parse_trigger({"on": "import:x", "mode": "grant"}).applies(event={}, person={})
