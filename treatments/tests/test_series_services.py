from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from treatments.models import Series, SeriesDeletionRefused
from treatments.services import series_give, series_update

pytestmark = pytest.mark.django_db


def data(on, **extra):
    return {"started_on": on, "days": 5, "dose_g_per_kg": Decimal("2.0"),
            "weight_kg": Decimal("72.5"), "product": "IVIg", **extra}


def test_series_are_numbered_one_two_three(patient):
    first = series_give(patient=patient, data=data(date(1994, 1, 1)), lot_numbers=["A", "B"])
    second = series_give(patient=patient, data=data(date(1994, 2, 1)))
    assert (first.number, second.number) == (1, 2)
    assert [lot.lot for lot in first.lots.all()] == ["A", "B"]
    assert first.total_grams == Decimal("145.0")


def test_a_gap_in_numbering_is_refused(patient):
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data=data(date(1994, 1, 1), number=3))
    assert "number 1" in error.value.message_dict["number"][0]


def test_a_series_before_the_previous_one_is_refused(patient):
    series_give(patient=patient, data=data(date(1994, 2, 1)))
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data=data(date(1994, 1, 1)))
    assert "must start after series 1" in error.value.message_dict["started_on"][0]
    assert Series.objects.count() == 1


def test_a_repeated_lot_is_refused_with_its_index(patient):
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data=data(date(1994, 1, 1)), lot_numbers=["A", "A"])
    assert "Item 1" in error.value.message_dict["lot_numbers"][0]
    assert not Series.objects.exists()


def test_a_given_series_is_never_deleted(patient):
    series = series_give(patient=patient, data=data(date(1994, 1, 1)))
    with pytest.raises(SeriesDeletionRefused):
        series.delete()
    with pytest.raises(SeriesDeletionRefused):
        Series.objects.filter(pk=series.pk).delete()
    assert Series.objects.filter(pk=series.pk).exists()


def test_stopping_a_series_records_the_adverse_event(patient):
    series = series_give(patient=patient, data=data(date(1994, 1, 1)))
    series_update(
        series=series, version=1,
        data={"status": "stopped", "stop_reason": "recurrent allergic rash"},
        adverse_events=[{"kind": "rash", "severity": "moderate", "led_to_stop": True}],
    )
    series.refresh_from_db()
    assert series.status == "stopped"
    assert series.adverse_events.get().led_to_stop
