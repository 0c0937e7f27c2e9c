"""Resolving what a dispatcher typed to exactly one pole or base station."""

from __future__ import annotations

import pytest
from django.utils import translation

from ts.models import Contractor, ContractorEmail
from ts.selectors import (
    AmbiguousError,
    NotFoundError,
    ReferenceLookupError,
    contractor_emails,
    resolve_base_station,
    resolve_pole,
)
from ts.tests.factories import make_base_station, make_pole

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites():
    return {
        "a": make_pole("77-12345", site_id=1),
        "b": make_pole("77-12346", site_id=2),
        "c": make_pole("02-00123", site_id=3),
        "old": make_pole("50-00001", site_id=4, is_active=False),
    }


def test_full_pole_code(sites):
    assert resolve_pole(" 77-12345 ") == sites["a"]


def test_unambiguous_prefix_expands(sites):
    assert resolve_pole("02-001") == sites["c"]


def test_ambiguous_prefix_lists_candidates_in_russian(sites):
    with translation.override("ru"), pytest.raises(AmbiguousError) as error:
        resolve_pole("77-123")
    assert error.value.candidates == ["77-12345", "77-12346"]
    assert "77-12345, 77-12346" in str(error.value)
    assert str(error.value).startswith("Шифр опоры «77-123» неоднозначен")


def test_unknown_code_is_not_found_in_russian(sites):
    with translation.override("ru"), pytest.raises(NotFoundError) as error:
        resolve_pole("99-99999")
    assert str(error.value) == "Опора «99-99999» не найдена"


def test_deactivated_pole_is_not_resolved(sites):
    with pytest.raises(NotFoundError):
        resolve_pole("50-00001")


def test_empty_input_is_an_error():
    with pytest.raises(ReferenceLookupError):
        resolve_pole("   ")


def test_duplicate_code_resolves_to_lowest_site_id(sites):
    make_pole("02-00123", site_id=99)
    assert resolve_pole("02-00123") == sites["c"]


def test_base_station_by_name_prefix_and_spelling(sites):
    station = make_base_station("БС-77-12345", sites["a"])
    make_base_station("БС-77-12346", sites["b"])
    assert resolve_base_station("БС-77-12345") == station
    assert resolve_base_station("БС 77-12345") == station
    assert resolve_base_station("bs-77-12345") == station
    with pytest.raises(AmbiguousError):
        resolve_base_station("БС-77")


def test_same_station_name_on_two_poles_needs_the_pole(sites):
    on_a = make_base_station("RRL-1001", sites["a"])
    make_base_station("RRL-1001", sites["b"])
    with translation.override("ru"), pytest.raises(AmbiguousError) as error:
        resolve_base_station("RRL-1001")
    assert "опора 77-12345" in str(error.value)
    assert resolve_base_station("RRL-1001", pole=sites["a"]) == on_a


def test_contractor_emails_fall_back_to_the_default_contractor(settings):
    settings.DEFAULT_CONTRACTOR_EMAILS = []
    default = Contractor.objects.get_default()
    ContractorEmail.objects.create(contractor=default, email="duty@dispatch.local")
    silent = Contractor.objects.create(name="ООО «Тишина»")
    loud = Contractor.objects.create(name="ООО «Звон»")
    ContractorEmail.objects.create(contractor=loud, email="avr@zvon.ru")
    assert contractor_emails(loud) == ["avr@zvon.ru"]
    assert contractor_emails(silent) == ["duty@dispatch.local"]
    assert contractor_emails(None) == ["duty@dispatch.local"]
