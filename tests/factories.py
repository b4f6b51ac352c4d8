"""factory_boy factories for the people and objects in test stories."""
from __future__ import annotations

import factory

from govflow.accounts.models import Membership, Role, User


def id_number_for(serial: int, birth: str = "19900101", region: str = "330106") -> str:
    """A valid 18-character resident id number (ISO 7064 MOD 11-2 check character)."""
    first17 = f"{region}{birth}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs) -> None:
        self.set_password(extracted or "govflow-test-pw")
        if create:
            self.save(update_fields=["password"])


class CitizenFactory(UserFactory):
    id_number = factory.Sequence(lambda n: id_number_for(n))
    phone = factory.Sequence(lambda n: f"138{n:08d}")


def home_office(department):
    """The department's office that handles the default division's cases: the one at the default
    division (Xihu in the demo), else the nearest above it (Hangzhou for the city-level hrss and mi)."""
    from django.conf import settings

    from govflow.catalog.models import Office

    offices = {o.division.code: o for o in Office.objects.filter(department=department).select_related("division")}
    default = settings.GOVFLOW_DEFAULT_DIVISION
    for code in (default, default[:4] + "00", default[:2] + "0000"):
        if code in offices:
            return offices[code]
    return next(iter(offices.values()))


class MembershipFactory(factory.django.DjangoModelFactory):
    """A membership; pass ``office``, or ``department`` for its :func:`home_office`."""

    class Meta:
        model = Membership

    class Params:
        department = None

    user = factory.SubFactory(UserFactory)
    role = Role.CLERK
    office = factory.LazyAttribute(lambda m: home_office(m.department))
