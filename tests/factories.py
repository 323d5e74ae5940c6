import datetime

import factory

from portail.accounts.models import User
from portail.structures.models import (
    Activity,
    Child,
    ClosedPeriod,
    Enrolment,
    Family,
    InfoMessage,
    Opening,
    Structure,
)

PASSWORD = "Motdepasse-de-test-1"


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Structure {n}")
    email = "contact@example.org"
    phone = "01 23 45 67 89"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"compte{n}")
    first_name = "Jean"
    last_name = "TEST"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def structures(self, create, extracted, **kwargs):
        if create and extracted:
            self.staff_structures.set(extracted)


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    reference = factory.Sequence(lambda n: f"F{n:05d}")
    civility = "M."
    last_name = factory.Sequence(lambda n: f"FAMILLE{n}")
    first_name = "Jean"

    @factory.post_generation
    def accounts(self, create, extracted, **kwargs):
        if create and extracted:
            self.accounts.set(extracted)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = factory.LazyAttribute(lambda c: c.family.last_name)
    birth_date = datetime.date(2018, 3, 14)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    structure = factory.SubFactory(StructureFactory)
    name = factory.Sequence(lambda n: f"ACTIVITE {n}")
    code = factory.Sequence(lambda n: f"ACT{n}")
    booking_period_start = datetime.date(2026, 9, 1)
    booking_period_end = datetime.date(2027, 7, 3)


class OpeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opening

    activity = factory.SubFactory(ActivityFactory)
    date = datetime.date(2026, 12, 7)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(ActivityFactory)
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 7, 3)


class ClosedPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosedPeriod

    structure = factory.SubFactory(StructureFactory)
    label = "Vacances de Noël"
    start_date = datetime.date(2026, 12, 19)
    end_date = datetime.date(2027, 1, 3)


class InfoMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InfoMessage

    structure = factory.SubFactory(StructureFactory)
    title = factory.Sequence(lambda n: f"Information {n}")
    text = "Texte de l'information."
