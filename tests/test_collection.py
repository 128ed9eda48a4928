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


@pytest.mark.parametrize(
    ("today", "settled"),
    [
        (date(2026, 12, 14), date(2026, 12, 7)),  # Monday: the debits of Monday a week before
        (date(2026, 12, 13), date(2026, 12, 6)),  # Sunday: up to the Sunday before (a debit of Friday waits)
        (date(2026, 12, 11), date(2026, 12, 6)),  # Friday: up to the weekend a week before
        (date(2026, 12, 31), date(2026, 12, 23)),  # 23 December: 24, 28, 29, 30, 31 (Christmas closed)
    ],
)
def test_a_debit_is_collected_once_the_return_window_is_past(today, settled):
    assert collection.last_settled_collection_date(today) == settled
    assert collection.add_business_days(settled, collection.RETURN_BUSINESS_DAYS) <= today
    assert collection.add_business_days(settled + timedelta(days=1), collection.RETURN_BUSINESS_DAYS) > today


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


# Which receipt or instalment a batch debits on 15 December 2026, and with which sequence type.

COLLECTION_DATE = date(2026, 12, 15)
ACTIVE = collection.Mandate(state="active", signature_date=date(2026, 1, 10))


def _reason(amount=100.0, mandate=ACTIVE, notice_date=date(2026, 11, 20), **rejections):
    return collection.exclusion_reason(amount, mandate, COLLECTION_DATE, notice_date, 14, **rejections)


def test_reason_names_are_the_batch_line_s_selection_keys():
    assert (
        collection.ZERO_AMOUNT,
        collection.NO_MANDATE,
        collection.MANDATE_INACTIVE,
        collection.MANDATE_AFTER_DATE,
        collection.UNDER_PLAN,
        collection.NOTICE_BEFORE_MANDATE,
    ) == ("zero_amount", "no_mandate", "mandate_inactive", "mandate_after_date", "under_plan", "notice_before_mandate")


def test_a_receipt_with_all_in_order_is_debited():
    assert _reason() is None


@pytest.mark.parametrize("amount", [0, 0.0, -5.0])
def test_nothing_to_collect_is_not_debited(amount):
    assert _reason(amount=amount) == collection.ZERO_AMOUNT


def test_nothing_to_collect_comes_before_any_other_reason():
    assert _reason(amount=0, mandate=None, notice_date=None) == collection.ZERO_AMOUNT


def test_no_mandate_is_not_debited():
    assert _reason(mandate=None) == collection.NO_MANDATE


@pytest.mark.parametrize("state", ["draft", "revoked", "blocked", "expired"])
def test_a_mandate_not_active_carries_no_debit(state):
    assert _reason(mandate=collection.Mandate(state=state, signature_date=date(2026, 1, 10))) == (
        collection.MANDATE_INACTIVE
    )


def test_a_mandate_signed_after_the_collection_date_carries_no_debit():
    signed_late = collection.Mandate(state="active", signature_date=COLLECTION_DATE + timedelta(days=1))
    assert _reason(mandate=signed_late) == collection.MANDATE_AFTER_DATE
    signed_that_day = collection.Mandate(state="active", signature_date=COLLECTION_DATE)
    assert _reason(mandate=signed_that_day, notice_date=COLLECTION_DATE - timedelta(days=14)) == (
        collection.NOTICE_BEFORE_MANDATE
    ), "a mandate signed that day was pre-notified by no notice"


def test_a_notice_sent_before_the_mandate_was_signed_pre_notifies_nothing():
    # A contract back to direct debit (a mandate signed online): its receipts' notices sent before
    # gave no mandate reference, and the batch waits for one sent since.
    signed = collection.Mandate(state="active", signature_date=date(2026, 11, 25))
    assert _reason(mandate=signed, notice_date=date(2026, 11, 20)) == collection.NOTICE_BEFORE_MANDATE
    assert _reason(mandate=signed, notice_date=date(2026, 11, 25)) is None, "the notice of the signing day"
    assert _reason(mandate=signed, notice_date=date(2026, 12, 2)) == collection.NOTICE_LATE, "late comes first"


def test_the_mandate_comes_before_the_rejections_and_the_notice():
    assert _reason(mandate=None, notice_date=None, rejections=1) == collection.NO_MANDATE


def test_a_rejection_not_to_present_again_is_not_debited():
    assert _reason(rejections=1, last_represents=False, max_representations=2) == "rejected"


def test_a_rejection_presented_again_is_debited_until_the_limit():
    assert _reason(rejections=2, last_represents=True, max_representations=2) is None
    assert _reason(rejections=3, last_represents=True, max_representations=2) == "represent_limit"


def test_an_instalment_once_rejected_is_never_debited_again():
    # The batch gives an instalment's rejections only: never presented again.
    assert _reason(rejections=1) == "rejected"


def test_the_rejections_come_before_the_notice():
    assert _reason(notice_date=None, rejections=1) == "rejected"


def test_a_receipt_without_notice_is_not_debited():
    assert _reason(notice_date=None) == collection.NOTICE_MISSING


def test_a_notice_sent_too_late_does_not_pre_notify():
    assert _reason(notice_date=COLLECTION_DATE - timedelta(days=13)) == collection.NOTICE_LATE
    assert _reason(notice_date=COLLECTION_DATE - timedelta(days=14)) is None


def _sequence(mandate=ACTIVE, first_as_frst=False, **period):
    return collection.sequence_type(mandate, first_as_frst, **period)


def test_a_debit_is_recurrent_by_default():
    assert _sequence() == collection.RECURRENT == "RCUR"


def test_a_first_debit_is_recurrent_unless_the_bank_wants_frst():
    assert _sequence(first_as_frst=False) == "RCUR"
    assert _sequence(first_as_frst=True) == collection.FIRST == "FRST"


def test_a_mandate_debited_before_is_recurrent_even_where_the_bank_wants_frst():
    used = collection.Mandate(state="active", signature_date=date(2026, 1, 10), debited_before=True)
    assert _sequence(used, first_as_frst=True) == "RCUR"


def test_a_mandate_amended_to_another_bank_is_not_first_again():
    """The amendment (SMNDA) tells the change of bank; the mandate was debited before, so RCUR."""
    moved = collection.Mandate(state="active", signature_date=date(2026, 1, 10), debited_before=True)
    assert _sequence(moved, first_as_frst=True) == "RCUR"


def test_a_one_off_mandate_debits_ooff_whatever_else():
    one_off = collection.Mandate(state="active", signature_date=date(2026, 1, 10), one_off=True)
    assert _sequence(one_off, first_as_frst=True, period_end=date(2026, 12, 31), contract_end=date(2026, 12, 31)) == (
        collection.ONE_OFF
    )


def test_the_receipt_of_the_contract_s_last_period_is_final():
    assert _sequence(period_end=date(2026, 12, 31), contract_end=date(2026, 12, 31)) == collection.FINAL == "FNAL"
    assert _sequence(period_end=date(2027, 1, 31), contract_end=date(2026, 12, 31)) == "FNAL"
    assert _sequence(period_end=date(2026, 11, 30), contract_end=date(2026, 12, 31)) == "RCUR"


def test_final_comes_before_first():
    assert _sequence(first_as_frst=True, period_end=date(2026, 12, 31), contract_end=date(2026, 12, 31)) == "FNAL"


def test_an_open_ended_contract_or_an_instalment_is_never_final():
    assert _sequence(period_end=date(2026, 12, 31), contract_end=None) == "RCUR"
    assert _sequence(period_end=None, contract_end=date(2026, 12, 31)) == "RCUR"  # an instalment
