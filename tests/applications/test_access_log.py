"""Access records are append-only and chained: the model, the queryset, the PostgreSQL trigger,
the sealer (also under real threads on PostgreSQL) and ``verify_access_log``."""
from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from govflow.applications import access
from govflow.applications.models import AccessLogAnchor, AccessRecord

from ..factories import CitizenFactory, UserFactory
from ..threads import run_together

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the trigger and real concurrency need PostgreSQL (CI runs this on PostgreSQL)")


def _reads(n: int, reader=None, person=None) -> list[AccessRecord]:
    reader = reader or UserFactory()
    person = person or CitizenFactory()
    return [access.record(reader=reader, interface="workbench", purpose="queue", person_id=person.pk,
                          what={"fields": ["name"]}) for _ in range(n)]


def _raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _tamper(sql: str, params=()) -> None:
    """What a database administrator could do behind the application's back."""
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own deferred checks first
        _raw("ALTER TABLE applications_accessrecord DISABLE TRIGGER applications_accessrecord_append_only")
        _raw(sql, params)
        _raw("ALTER TABLE applications_accessrecord ENABLE TRIGGER applications_accessrecord_append_only")
    else:
        _raw(sql, params)


def test_the_application_cannot_change_or_delete_a_record():
    row = _reads(1)[0]
    row = AccessRecord.objects.get(pk=row.pk)
    row.reason = "changed"
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        AccessRecord.objects.filter(pk=row.pk).update(reason="changed")
    with pytest.raises(TypeError):
        AccessRecord.objects.filter(pk=row.pk).delete()
    assert AccessRecord.objects.get(pk=row.pk).reason == ""


def test_a_record_needs_someone_whose_data_was_read():
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRecord.objects.create(reader=UserFactory(), interface="api", purpose="queue")


def test_sealing_chains_every_row_once_and_the_chain_verifies():
    _reads(5)
    assert access.seal(batch=2) == 5
    assert access.seal() == 0
    assert list(AccessRecord.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
    _reads(2)
    out = StringIO()
    call_command("verify_access_log", stdout=out)
    assert "OK: 5 record(s) intact; 2 not chained yet" in out.getvalue()
    call_command("verify_access_log", "--seal", stdout=out)
    assert "OK: 7 record(s) intact; 0 not chained yet" in out.getvalue()


def test_an_edited_row_is_found_and_named():
    rows = _reads(4)
    access.seal()
    _tamper("UPDATE applications_accessrecord SET reason = %s WHERE id = %s", ["nothing to see", rows[2].pk])
    verdict = access.verify()
    assert verdict.broken.pk == rows[2].pk and verdict.checked == 2 and "edited" in verdict.problem
    with pytest.raises(CommandError, match=f"access record {rows[2].pk} .*chain position 3"):
        call_command("verify_access_log", stdout=StringIO())


def test_a_deleted_row_is_found():
    rows = _reads(4)
    access.seal()
    _tamper("DELETE FROM applications_accessrecord WHERE id = %s", [rows[1].pk])
    verdict = access.verify()
    assert verdict.broken.pk == rows[2].pk and "missing" in verdict.problem


def test_a_row_re_chained_without_the_key_is_found(settings):
    """Recomputing the digests needs the key: a forger without it breaks the chain at their row."""
    rows = _reads(3)
    access.seal()
    settings.GOVFLOW_ACCESS_LOG_KEY = "a forger's guess"
    row = AccessRecord.objects.get(pk=rows[1].pk)
    previous = AccessRecord.objects.get(pk=rows[0].pk).digest
    row.reason = "forged"
    forged = access.digest(previous, row)
    settings.GOVFLOW_ACCESS_LOG_KEY = ""
    _tamper("UPDATE applications_accessrecord SET reason = %s, digest = %s WHERE id = %s", ["forged", forged, row.pk])
    assert access.verify().broken.pk == rows[1].pk


@on_postgres
def test_the_database_refuses_updates_and_deletes_but_lets_the_sealer_chain_once():
    rows = _reads(2)
    for sql in ("UPDATE applications_accessrecord SET reason = 'x' WHERE id = %s",
                "DELETE FROM applications_accessrecord WHERE id = %s",
                "UPDATE applications_accessrecord SET seq = 99, reason = 'x' WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql, [rows[0].pk])
    access.seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE applications_accessrecord SET seq = 99, digest = '' WHERE id = %s", [rows[0].pk])
    assert access.verify().broken is None and access.verify().checked == 2


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_and_sealers_at_the_same_time_leave_one_unbroken_chain():
    reader, person = UserFactory(), CitizenFactory()

    def write():
        for _ in range(20):
            with access.recording():
                for _ in range(3):
                    access.record(reader=reader, interface="api", purpose="queue", person_id=person.pk)
        return access.seal()

    results = run_together([write, write, write, access.seal, access.seal])
    assert not [r for r in results if isinstance(r, Exception)], results
    access.seal()
    assert AccessRecord.objects.count() == 180
    assert sorted(AccessRecord.objects.values_list("seq", flat=True)) == list(range(1, 181))
    verdict = access.verify()
    assert verdict.broken is None and verdict.checked == 180 and verdict.unsealed == 0


def _read_at(when, reader, person) -> None:
    with time_machine.travel(when, tick=False):
        access.record(reader=reader, interface="api", purpose="queue", person_id=person.pk)


def test_the_purge_deletes_old_records_as_a_prefix_and_the_chain_still_verifies(settings):
    settings.GOVFLOW_ACCESS_RECORD_DAYS = 30
    reader, person = UserFactory(), CitizenFactory()
    now = timezone.make_aware(timezone.datetime(2026, 12, 7, 9, 0))
    for days_ago in (90, 60, 31, 29, 1):
        _read_at(now - timedelta(days=days_ago), reader, person)
    access.seal()
    assert access.purge(now=now) == 3
    assert access.purge(now=now) == 0  # idempotent
    assert sorted(AccessRecord.objects.values_list("seq", flat=True)) == [4, 5]
    anchor = AccessLogAnchor.objects.get()
    assert (anchor.seq, anchor.purged) == (3, 3)
    _reads(2)
    access.seal()
    verdict = access.verify()
    assert verdict.broken is None and verdict.checked == 4
    # An edit of the first row kept is still found: the anchor holds its predecessor's digest.
    first = AccessRecord.objects.get(seq=4)
    _tamper("UPDATE applications_accessrecord SET purpose = 'support' WHERE id = %s", [first.pk])
    assert access.verify().broken.pk == first.pk


def test_nothing_is_purged_when_the_period_is_zero(settings):
    settings.GOVFLOW_ACCESS_RECORD_DAYS = 0
    reader, person = UserFactory(), CitizenFactory()
    _read_at(timezone.now() - timedelta(days=4000), reader, person)
    access.seal()
    assert access.purge() == 0 and AccessRecord.objects.count() == 1
