"""``python manage.py seed_demo``: the demo catalog and one account per role (docs/demo.md).

Idempotent: a second run creates nothing and leaves passwords alone (``--reset-passwords`` puts the
demo password back). Refuses to run with ``DEBUG`` off unless ``--force``, so that well-known demo
passwords never reach a real deployment by accident.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from govflow.accounts.models import Membership, Role, User
from govflow.catalog import jurisdictions
from govflow.catalog.models import Division, Office

DEMO_PASSWORD = "govflow-demo"  # noqa: S105 - published in docs/demo.md on purpose
DEMO_CATALOG = Path(__file__).resolve().parents[3] / "catalog" / "demo_catalog.json"
#: Proactive services' demo (免申即享, docs/proactive.md): its fields, procedures and one things are
#: added to the demo catalog's before importing (kept apart: demo_catalog.json is the demo
#: contract's one things).
DEMO_PROACTIVE = DEMO_CATALOG.with_name("demo_proactive.json")


def with_additions(document: dict, additions: dict) -> dict:
    """``document`` with the definitions of ``additions`` appended, section by section."""
    merged = dict(document)
    for section in ("fields", "materials", "procedures", "one_things"):
        if additions.get(section):
            merged[section] = list(document.get(section, [])) + list(additions[section])
    return merged

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def id_number_check_char(first17: str) -> str:
    """The 18th character of a PRC resident ID number (GB 11643, ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected the first 17 digits of a resident ID number")
    return _ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _id_number(first17: str) -> str:
    return first17 + id_number_check_char(first17)


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    email: str
    phone: str = ""
    id_number: str | None = None
    language: str = "zh-hans"
    superuser: bool = False
    residence: str | None = None  # division code
    memberships: tuple[tuple[str, str], ...] = ()  # (office code, role)


# Hangzhou region codes (330106 Xihu, 330102 Shangcheng), birth dates, sequence numbers: the 17th digit is odd for men, even
# for women. The numbers are made up; the check character is computed so that they validate.
XIHU, SHANGCHENG, HANGZHOU = "330106", "330102", "330100"

# Everyone works in Xihu District as before jurisdictions came; hrss and mi procedures are handled
# at city level, so their clerks belong to the Hangzhou offices.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "系统管理员", "admin@example.org", superuser=True),
    DemoUser("citizen", "王晓明", "citizen@example.org", phone="13812345678",
             id_number=_id_number("33010619900307123"), residence=XIHU),
    DemoUser("citizen2", "李娜", "citizen2@example.org", phone="13987654321",
             id_number=_id_number("33010219920815246"), residence=XIHU),
    DemoUser("citizen-sc", "陈思远", "citizen-sc@example.org", phone="13700001111",
             id_number=_id_number("33010219880412357"), residence=SHANGCHENG),
    DemoUser("clerk-amr", "张伟", "clerk-amr@example.org", memberships=((f"amr-{XIHU}", Role.CLERK),)),
    DemoUser("clerk-amr-2", "刘洋", "clerk-amr-2@example.org", memberships=((f"amr-{XIHU}", Role.CLERK),)),
    DemoUser("clerk-amr-sc", "何静怡", "clerk-amr-sc@example.org", memberships=((f"amr-{SHANGCHENG}", Role.CLERK),)),
    DemoUser("clerk-psb", "陈静", "clerk-psb@example.org", memberships=((f"psb-{XIHU}", Role.CLERK),)),
    DemoUser("clerk-tax", "杨帆", "clerk-tax@example.org", memberships=((f"tax-{XIHU}", Role.CLERK),)),
    DemoUser("clerk-hrss", "赵敏", "clerk-hrss@example.org", memberships=((f"hrss-{HANGZHOU}", Role.CLERK),)),
    DemoUser("clerk-hpf", "黄磊", "clerk-hpf@example.org", memberships=((f"hpf-{XIHU}", Role.CLERK),)),
    DemoUser("clerk-health", "周丽", "clerk-health@example.org", memberships=((f"health-{XIHU}", Role.CLERK),)),
    DemoUser("clerk-mi", "吴刚", "clerk-mi@example.org", memberships=((f"mi-{HANGZHOU}", Role.CLERK),)),
    DemoUser("super-amr", "孙建国", "super-amr@example.org", memberships=((f"amr-{XIHU}", Role.SUPERVISOR),)),
    DemoUser("super-amr-hz", "钱卫东", "super-amr-hz@example.org",
             memberships=((f"amr-{HANGZHOU}", Role.SUPERVISOR),)),
    DemoUser("super-hrss", "郑红梅", "super-hrss@example.org", memberships=((f"hrss-{HANGZHOU}", Role.SUPERVISOR),)),
    DemoUser("counter-xihu", "林晓燕", "counter-xihu@example.org", memberships=((f"gsc-{XIHU}", Role.COUNTER),)),
)

#: The demo company: ``citizen`` is its legal representative, ``citizen2`` its authorised agent.
DEMO_COMPANY = {"name": "杭州示例科技有限公司", "uscc": "91330106MA2B7K5L1F", "division": XIHU,
                "address": "杭州市西湖区文三路 90 号", "contact_phone": "13812345678"}
DEMO_LEGAL_REPRESENTATIVE, DEMO_AGENT = "citizen", "citizen2"
#: How long the demo agent's authorisation runs from the day the demo is loaded (renewed by a later
#: run once it has expired or been revoked).
DEMO_AGENT_DAYS = 365


@dataclass
class Summary:
    users_created: list[str] = field(default_factory=list)
    users_updated: list[str] = field(default_factory=list)
    passwords_reset: list[str] = field(default_factory=list)
    memberships_created: list[str] = field(default_factory=list)
    memberships_updated: list[str] = field(default_factory=list)
    organisation: list[str] = field(default_factory=list)


#: The demo's certificate templates, by output code: (title, body).
DEMO_CERTIFICATES = {
    "uscc": ("营业执照", "名称：{{ holder_name }}\n{{ output_label }}：{{ output_value }}\n"
                       "经 {{ procedure }} 核准登记（{{ one_thing }}，申请编号 {{ application_number }}）。\n"
                       "登记机关：{{ authority }}\n发证日期：{{ issue_date }}"),
    "birth_certificate_no": ("出生医学证明", "{{ output_label }}：{{ output_value }}\n申请人：{{ holder_name }}\n"
                                          "签发机构：{{ authority }}\n签发日期：{{ issue_date }}"),
}


def _describe_import(result) -> str:
    """One line from an ``ImportResult``: counts per kind, and the versions published."""
    parts = []
    for label in ("created", "updated", "deleted"):
        counts = getattr(result, label, None) or {}
        if any(counts.values()):
            parts.append(f"{label} " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()) if n))
    published = getattr(result, "published", None) or []
    if published:
        parts.append("published " + ", ".join(f"{v.one_thing.code} v{v.number}" for v in published))
    return "; ".join(parts) or "already up to date"


class Command(BaseCommand):
    help = "Load the demo catalog and demo accounts (password 'govflow-demo'). Development only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true",
                            help="Run even though DEBUG is off (puts well-known passwords in this database).")
        parser.add_argument("--reset-passwords", action="store_true",
                            help="Set every demo account's password back to the demo password.")

    def handle(self, *args, force: bool = False, reset_passwords: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates accounts with the well-known password "
                f"'{DEMO_PASSWORD}'. Set DEBUG=1 for a development database, or pass --force if you really "
                "want demo accounts here."
            )
        summary = Summary()
        with transaction.atomic():
            admin = self._user(DEMO_USERS[0], reset_passwords, summary)
            divisions = jurisdictions.save_divisions(jurisdictions.read_divisions_file(jurisdictions.BUNDLED_DIVISIONS))
            import_result = self._import_catalog(admin)
            offices = {o.code: o for o in Office.objects.all()}
            users = {}
            for spec in DEMO_USERS[1:]:
                user = users[spec.username] = self._user(spec, reset_passwords, summary)
                for office_code, role in spec.memberships:
                    self._membership(user, offices, office_code, role, summary)
            self._company(admin, users, summary)
            made = self._certificate_templates()
        self._report(summary, import_result, divisions)
        if made:
            self.stdout.write(f"Certificate templates: created {', '.join(made)}")

    def _certificate_templates(self) -> list[str]:
        """Electronic certificates (docs/papers.md) for the business licence and the birth
        certificate; a template an administrator has edited is left alone."""
        from govflow.applications.models import CertificateTemplate
        from govflow.catalog.models import Output

        made = []
        for code, (title, body) in DEMO_CERTIFICATES.items():
            output = Output.objects.filter(code=code).first()
            if output is None or CertificateTemplate.objects.filter(output=output).exists():
                continue
            template = CertificateTemplate(output=output, title=title, body=body)
            template.full_clean()
            template.save()
            made.append(code)
        return made

    def _company(self, admin: User, users: dict[str, User], summary: Summary) -> None:
        """The demo company with its legal representative and its agent (whose grant is renewed
        when it has lapsed)."""
        from govflow.parties.models import Organisation, OrganisationRole, OrganisationRoleKind, live_q
        from govflow.parties.services import organisation_register

        legal, agent = users[DEMO_LEGAL_REPRESENTATIVE], users[DEMO_AGENT]
        company = Organisation.objects.filter(uscc=DEMO_COMPANY["uscc"]).first()
        if company is None:
            company = organisation_register(actor=admin, legal_representative_name=legal.name,
                                            legal_representative=legal, contact_name=legal.name, verified=True,
                                            **DEMO_COMPANY)
            summary.organisation.append(f"created {company.name} ({company.uscc})")
        elif not OrganisationRole.objects.filter(organisation=company, user=legal, revoked_at__isnull=True,
                                                 role=OrganisationRoleKind.LEGAL_REPRESENTATIVE).exists():
            raise CommandError(f"{company.name} has another legal representative than '{legal.username}'; "
                               "seed_demo belongs in a development database.")
        if not OrganisationRole.objects.filter(live_q(), organisation=company, user=agent).exists():
            now = timezone.now()
            OrganisationRole.objects.filter(organisation=company, user=agent, revoked_at__isnull=True).update(
                revoked_at=now, revoked_by=legal)
            OrganisationRole.objects.create(organisation=company, user=agent, role=OrganisationRoleKind.AGENT,
                                            granted_by=legal, granted_at=now,
                                            expires_at=now + timedelta(days=DEMO_AGENT_DAYS))
            summary.organisation.append(f"{agent.username} authorised as agent for {DEMO_AGENT_DAYS} days")

    def _import_catalog(self, admin: User):
        from govflow.catalog.io import CatalogValidationError
        from govflow.catalog.services import import_catalog

        try:
            document = json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))
            document = with_additions(document, json.loads(DEMO_PROACTIVE.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the demo catalog {DEMO_CATALOG}: {exc}") from exc
        try:
            return import_catalog(document, user=admin)
        except CatalogValidationError as exc:
            problems = "\n".join(f"  {error.path}: {error.message}" for error in exc.errors)
            raise CommandError(f"The demo catalog {DEMO_CATALOG.name} is invalid:\n{problems}") from exc

    def _user(self, spec: DemoUser, reset_passwords: bool, summary: Summary) -> User:
        wanted = {
            "name": spec.name,
            "email": spec.email,
            "phone": spec.phone,
            "id_number": spec.id_number,
            "language": spec.language,
            "is_active": True,
            "is_staff": spec.superuser,
            "is_superuser": spec.superuser,
            "residence": Division.objects.get(code=spec.residence) if spec.residence else None,
        }
        user = User.objects.filter(username=spec.username).first()
        if spec.id_number and User.objects.filter(id_number=spec.id_number).exclude(username=spec.username).exists():
            raise CommandError(
                f"Another account already has the demo id number of '{spec.username}'; "
                "seed_demo belongs in a development database."
            )
        if user is None:
            user = User(username=spec.username, **wanted)
            user.set_password(DEMO_PASSWORD)
            user.save()
            summary.users_created.append(spec.username)
            return user
        # Put the demo profile back if it drifted, touching only what differs.
        changed = [attr for attr, value in wanted.items() if getattr(user, attr) != value]
        for attr in changed:
            setattr(user, attr, wanted[attr])
        if reset_passwords and not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            changed.append("password")
            summary.passwords_reset.append(spec.username)
        if changed:
            user.save(update_fields=changed)
            if changed != ["password"]:
                summary.users_updated.append(spec.username)
        return user

    def _membership(self, user: User, offices: dict[str, Office], office_code: str, role: str,
                    summary: Summary) -> None:
        office = offices.get(office_code)
        if office is None:
            raise CommandError(f"Office '{office_code}' is missing after importing the demo catalog.")
        membership, created = Membership.objects.get_or_create(user=user, office=office, defaults={"role": role})
        label = f"{user.username}@{office_code} ({role})"
        if created:
            summary.memberships_created.append(label)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
            summary.memberships_updated.append(label)

    def _report(self, summary: Summary, import_result, divisions: dict[str, int]) -> None:
        out = self.stdout
        out.write(self.style.MIGRATE_HEADING("Divisions"))
        out.write(f"  {jurisdictions.BUNDLED_DIVISIONS.name}: {divisions['created']} created, "
                  f"{divisions['updated']} checked")
        out.write(self.style.MIGRATE_HEADING("Demo catalog"))
        out.write(f"  {DEMO_CATALOG.name}: {_describe_import(import_result)}")
        out.write(self.style.MIGRATE_HEADING("Demo accounts"))
        for label, names in (("created", summary.users_created), ("updated", summary.users_updated),
                             ("password reset", summary.passwords_reset)):
            if names:
                out.write(f"  {label}: {', '.join(names)}")
        for label, names in (("memberships created", summary.memberships_created),
                             ("memberships updated", summary.memberships_updated)):
            if names:
                out.write(f"  {label}: {', '.join(names)}")
        for line in summary.organisation:
            out.write(f"  demo company: {line}")
        if not (summary.users_created or summary.users_updated or summary.passwords_reset
                or summary.memberships_created or summary.memberships_updated or summary.organisation):
            out.write("  nothing to do: every demo account is already in place")
        out.write("")
        out.write(f"  Password for every account: {DEMO_PASSWORD}")
        out.write("  admin (superuser) · citizen, citizen2 (Xihu), citizen-sc (Shangcheng) · clerk-amr, clerk-amr-2, "
                  "clerk-amr-sc, clerk-psb, clerk-tax, clerk-hrss, clerk-hpf, clerk-health, clerk-mi · super-amr, "
                  "super-amr-hz, super-hrss · counter-xihu (Xihu service-hall counter)")
        out.write(f"  {DEMO_COMPANY['name']}: {DEMO_LEGAL_REPRESENTATIVE} is its legal representative, "
                  f"{DEMO_AGENT} its authorised agent")
        out.write(self.style.SUCCESS("Demo data ready."))
