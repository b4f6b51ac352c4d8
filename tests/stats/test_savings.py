"""one_thing_savings: the reform's published figures from a definition alone."""
from __future__ import annotations

import copy

from govflow.stats.savings import one_thing_savings

CONTRACT_EXAMPLE = {
    "format": "govflow.catalog/1",
    "departments": [
        {"code": "amr", "name": {"en": "Administration for Market Regulation"}},
        {"code": "tax", "name": {"en": "Taxation Bureau"}},
        {"code": "hrss", "name": {"en": "Human Resources and Social Security"}},
    ],
    "fields": [
        {"code": "company_name", "label": {"en": "Company name"}, "type": "string", "max_length": 100},
        {"code": "has_employees", "label": {"en": "Will you hire employees?"}, "type": "boolean"},
        {"code": "employee_count", "label": {"en": "Number of employees"}, "type": "integer", "min": 1},
        {"code": "legal_rep_id", "label": {"en": "Legal representative ID number"}, "type": "id_number"},
    ],
    "materials": [
        {"code": "articles", "label": {"en": "Articles of association"}, "accepted_types": ["pdf"], "max_size_mb": 10},
    ],
    "procedures": [
        {"code": "amr-licence", "department": "amr", "name": {"en": "Business licence registration"},
         "statutory_days": 15, "committed_days": 1,
         "fields": [{"field": "company_name", "required": True}, {"field": "legal_rep_id", "required": True}],
         "materials": [{"material": "articles", "required": True}], "needs_outputs": [],
         "outputs": [{"code": "uscc", "label": {"en": "USCC"}, "type": "string", "pattern": "^[0-9A-Z]{18}$"}]},
        {"code": "tax-registration", "department": "tax", "name": {"en": "Tax registration"},
         "statutory_days": 10, "committed_days": 1,
         "fields": [{"field": "company_name", "required": True}],
         "materials": [], "needs_outputs": ["uscc"], "outputs": []},
        {"code": "hrss-employer-insurance", "department": "hrss", "name": {"en": "Employer social insurance"},
         "statutory_days": 10, "committed_days": 1,
         "fields": [{"field": "company_name", "required": True}, {"field": "employee_count", "required": True}],
         "materials": [{"material": "articles", "required": False}], "needs_outputs": ["uscc"], "outputs": []},
    ],
    "one_things": [
        {"code": "business-startup", "name": {"en": "Start a business"}, "committed_days": 3,
         "guide": ["has_employees"],
         "steps": [
             {"procedure": "amr-licence"},
             {"procedure": "tax-registration", "after": ["amr-licence"]},
             {"procedure": "hrss-employer-insurance", "after": ["amr-licence"], "when": "has_employees"},
         ]},
    ],
}


def test_it_counts_every_step_conditional_ones_included():
    assert one_thing_savings(copy.deepcopy(CONTRACT_EXAMPLE)) == {
        "procedures": 3,
        "fields_separately": 2 + (1 + 1) + (2 + 1),   # fields plus needs_outputs, per step
        "fields_once": 4,                             # has_employees (guide), company_name, legal_rep_id, employee_count
        "materials_separately": 2,                    # articles, twice
        "materials_once": 1,
        "visits_separately": 3,
        "visits_once": 0,
        "days_separately": 15 + 10 + 10,
        "days_committed": 3,
    }


def test_it_takes_a_compiled_definition_too():
    from govflow.catalog.definition import Definition

    doc = copy.deepcopy(CONTRACT_EXAMPLE)
    assert one_thing_savings(Definition(doc)) == one_thing_savings(doc)


def test_a_needed_output_also_listed_as_a_field_counts_once():
    doc = copy.deepcopy(CONTRACT_EXAMPLE)
    doc["fields"].append({"code": "uscc", "label": {"en": "USCC"}, "type": "string"})
    doc["procedures"][1]["fields"].append({"field": "uscc", "required": True})
    savings = one_thing_savings(doc)
    assert savings["fields_separately"] == 7
    assert savings["fields_once"] == 4  # an output is never asked of the citizen
