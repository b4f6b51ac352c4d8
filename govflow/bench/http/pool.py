"""The simulated users' accounts, tokens and applications, made in the database before the servers start."""
from __future__ import annotations

import json
import math
from pathlib import Path

from django.utils import timezone

from .. import data
from .config import (
    CLERK_DEPARTMENTS,
    MIX,
)

# -- accounts and data ---------------------------------------------------------------------------


class Pool:
    """The load's accounts, sized for ``users`` simulated users so that none is shared."""

    def __init__(self, readers: list, submitters: list, clerks: list, tokens: dict[int, str]) -> None:
        self.readers, self.submitters, self.clerks, self.tokens = readers, submitters, clerks, tokens
        self.applications: dict[int, list[int]] = {}

    @classmethod
    def create(cls, users: int) -> Pool:
        from knox.models import AuthToken, get_digest_token
        from knox.settings import CONSTANTS, knox_settings

        from govflow.accounts.models import Membership, Role, User
        from govflow.applications.services import submitting
        from govflow.catalog.models import Office

        sizes = {kind: math.ceil(share * users) + 2 for kind, share in MIX.items()}
        made = User.objects.bulk_create([
            User(username=f"bench-{kind}-{i}", name="基准测试", email=f"bench-{kind}-{i}@example.org",
                 phone="13800000000", notify_by_sms=False, password="!")  # token only: no usable password
            for kind, count in sizes.items() for i in range(count)
        ])
        accounts = {kind: [u for u in made if u.username.startswith(f"bench-{kind}-")] for kind in sizes}
        # What AuthToken.objects.create does, in one statement: only the digest is stored.
        expiry = timezone.now() + knox_settings.TOKEN_TTL
        keys = {u.pk: get_digest_token() for u in made}
        AuthToken.objects.bulk_create([AuthToken(digest=keys[u.pk][0], token_key=keys[u.pk][1][:CONSTANTS.TOKEN_KEY_LENGTH],
                                                 user=u, expiry=expiry) for u in made])
        offices = list(Office.objects.filter(department__code__in=CLERK_DEPARTMENTS))
        Membership.objects.bulk_create([Membership(user=u, office=o, department_id=o.department_id, role=Role.CLERK)
                                        for u in accounts["clerks"] for o in offices])
        pool = cls(accounts["readers"], accounts["submitters"], accounts["clerks"],
                   {pk: token for pk, (_digest, token) in keys.items()})
        for reader in pool.readers:  # one submitted application each: the page they read
            draft = data.make_drafts(reader, 1)[0]
            submitting.application_submit(application=draft, user=reader)
            pool.applications[reader.pk] = [draft.pk]
        return pool

    def write(self, path: Path, *, users: int, seconds: int, think_s: tuple[float, float]) -> None:
        """The locust data for a run of ``users`` users: drafts topped up for ``seconds`` of submitting."""
        from govflow.applications.models import Application, ApplicationStatus

        in_use = min(len(self.submitters), math.ceil(MIX["submitters"] * users) + 2)
        need = math.ceil(seconds / think_s[0]) + 5  # no submitter can submit faster than that
        drafts = {}
        for citizen in self.submitters[:in_use]:
            ids = list(Application.objects.filter(applicant=citizen, status=ApplicationStatus.DRAFT)
                       .order_by("id").values_list("id", flat=True))
            if len(ids) < need:
                ids += [a.pk for a in data.make_drafts(citizen, need - len(ids))]
            drafts[citizen.pk] = ids
        path.write_text(json.dumps({
            "think_s": list(think_s),
            "outputs": data.BUSINESS_OUTPUTS,
            "readers": [{"token": self.tokens[u.pk], "applications": self.applications[u.pk]} for u in self.readers],
            "submitters": [{"token": self.tokens[u.pk], "drafts": drafts[u.pk]} for u in self.submitters[:in_use]],
            "clerks": [{"token": self.tokens[u.pk]} for u in self.clerks],
        }))
