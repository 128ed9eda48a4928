from datetime import date, timedelta

import pytest
from insurance_arrears import schedule
from sepa_dunning import collection


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))],
)
def test_easter_sunday(year, easter):
    assert collection.easter_sunday(year) == easter


def test_target2_closes_on_its_six_holidays_and_weekends():
    closed = [d for d in (date(2026, 1, 1) + timedelta(days=n) for n in range(365)) if d.weekday() < 5]
    closed = [d for d in closed if not collection.is_business_day(d)]
    assert closed == [
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 12, 25),
    ]  # 26 December 2026 is a Saturday
    assert not collection.is_business_day(date(2026, 12, 5))  # Saturday
    assert not collection.is_business_day(date(2026, 12, 6))  # Sunday
    assert collection.is_business_day(date(2026, 5, 8))  # a French holiday, not a TARGET2 one


def test_next_business_day_jumps_over_easter():
    assert collection.next_business_day(date(2026, 4, 3)) == date(2026, 4, 7)
    assert collection.next_business_day(date(2026, 4, 7)) == date(2026, 4, 7)
    assert collection.next_business_day(date(2026, 12, 25)) == date(2026, 12, 28)


def test_add_business_days_skips_weekends_and_holidays():
    assert collection.add_business_days(date(2026, 12, 3), 2) == date(2026, 12, 7)  # Thursday -> Monday
    assert collection.add_business_days(date(2026, 12, 23), 2) == date(2026, 12, 28)  # over Christmas
    assert collection.add_business_days(date(2026, 12, 5), 0) == date(2026, 12, 7)
    with pytest.raises(ValueError):
        collection.add_business_days(date(2026, 12, 3), -1)


def test_each_collection_date_is_prepared_first_on_exactly_one_day():
    first_day = {}
    day = date(2026, 1, 1)
    for _n in range(400):
        first_day.setdefault(collection.collection_date_prepared_on(day, 3), day)
        day += timedelta(days=1)
    dates = sorted(first_day)
    every_day = (dates[0] + timedelta(days=n) for n in range((dates[-1] - dates[0]).days + 1))
    assert dates == [d for d in every_day if collection.is_business_day(d)], "no collection date skipped"
    assert first_day[date(2026, 12, 28)] == date(2026, 12, 22)  # Tue 22 -> Wed 23, Thu 24, Mon 28


def test_debit_date_is_the_due_date_when_noticed_early():
    assert collection.debit_date(date(2027, 1, 15), date(2026, 12, 16), 14, 2) == date(2027, 1, 15)


def test_debit_date_moves_to_the_next_business_day():
    # Due on 1 January, a holiday: collected on Monday 4 January 2027 (2 and 3 are a weekend).
    assert collection.debit_date(date(2027, 1, 1), date(2026, 12, 2), 14, 2) == date(2027, 1, 4)


def test_late_notice_pushes_the_debit_after_the_pre_notification_period():
    # Noticed on 3 December for a receipt due on the 10th: 14 days later, the 17th (a Thursday).
    assert collection.debit_date(date(2026, 12, 10), date(2026, 12, 3), 14, 2) == date(2026, 12, 17)
    # A shorter period agreed in the mandate: the batch's lead time wins. The batch of the
    # 10th may be prepared on the 3rd before the notice goes out: the 11th.
    assert collection.debit_date(date(2026, 12, 3), date(2026, 12, 3), 1, 5) == date(2026, 12, 11)
    # Batches made by hand: no lead time.
    assert collection.debit_date(date(2026, 12, 3), date(2026, 12, 3), 1) == date(2026, 12, 4)


def test_a_notice_on_a_weekend_misses_the_batch_prepared_on_friday():
    # Friday 4 December prepares Tuesday 8th (lead 2); a notice on Saturday cannot be in it.
    assert collection.collection_date_prepared_on(date(2026, 12, 4), 2) == date(2026, 12, 8)
    assert collection.debit_date(date(2026, 12, 1), date(2026, 12, 5), 1, 2) == date(2026, 12, 9)


def test_the_debit_date_passes_the_batch_s_own_pre_notification_check():
    notice = date(2026, 12, 3)
    for due_offset in range(-10, 40):
        due = notice + timedelta(days=due_offset)
        for days, lead in ((14, 3), (2, 3), (1, 0), (0, 5)):
            debit = collection.debit_date(due, notice, days, lead)
            assert collection.notice_in_time(notice, days, debit)
            assert debit >= due and collection.is_business_day(debit)
            first_prepared = next(
                day
                for day in (notice - timedelta(days=30) + timedelta(days=n) for n in range(90))
                if collection.collection_date_prepared_on(day, lead) == debit
            )
            assert first_prepared > notice, "its batch is prepared after the notice went out"


def test_notice_in_time():
    assert collection.notice_in_time(date(2026, 12, 1), 14, date(2026, 12, 15))
    assert not collection.notice_in_time(date(2026, 12, 2), 14, date(2026, 12, 15))
    assert not collection.notice_in_time(None, 14, date(2026, 12, 15))


def test_notice_failure_says_why():
    assert collection.notice_failure(date(2026, 12, 1), 14, date(2026, 12, 15)) is None
    assert collection.notice_failure(date(2026, 12, 2), 14, date(2026, 12, 15)) == collection.NOTICE_LATE
    assert collection.notice_failure(None, 14, date(2026, 12, 15)) == collection.NOTICE_MISSING
    assert (collection.NOTICE_MISSING, collection.NOTICE_LATE) == ("notice_missing", "notice_late")


def test_notice_send_date():
    assert schedule.notice_send_date(date(2027, 1, 4), 30) == date(2026, 12, 5)
