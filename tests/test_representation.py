"""A rejected direct debit presented again comes before any reminder (sepa_dunning.timeline)."""

from datetime import date

import pytest
from sepa_dunning import timeline
from sepa_dunning.timeline import COLLECTED, REJECTED, TO_COLLECT

AM04 = (REJECTED, True)  # insufficient funds: presented again
MS03 = (REJECTED, False)  # a reason that does not present again


def test_a_receipt_never_rejected_waits_for_nothing():
    assert not timeline.representation_pending([], limit=2)
    assert not timeline.representation_pending([(TO_COLLECT, False)], limit=2)
    assert not timeline.representation_pending([(COLLECTED, False)], limit=2)


def test_am04_rejection_waits_for_the_next_batch():
    assert timeline.representation_pending([AM04], limit=2)


def test_the_debit_presented_again_and_not_posted_yet_still_waits():
    assert timeline.representation_pending([AM04, (TO_COLLECT, False)], limit=1)


def test_collected_the_second_time_waits_no_more():
    assert not timeline.representation_pending([AM04, (COLLECTED, False)], limit=2)


@pytest.mark.parametrize(
    ("rejections", "limit", "pending"),
    [(1, 0, False), (1, 1, True), (2, 1, False), (2, 2, True), (3, 2, False)],
)
def test_each_rejection_waits_as_long_as_the_limit_allows_a_presentation(rejections, limit, pending):
    assert timeline.representation_pending([AM04] * rejections, limit=limit) is pending
    assert timeline.presented_again(rejections, True, limit) is pending


@pytest.mark.parametrize(
    ("rejections", "last_represents", "limit", "reason"),
    [
        (0, False, 0, None),
        (1, True, 1, None),
        (2, True, 2, None),
        (1, True, 0, timeline.LIMIT_REACHED),
        (3, True, 2, timeline.LIMIT_REACHED),
        (1, False, 5, timeline.NOT_REPRESENTED),
        (3, False, 2, timeline.NOT_REPRESENTED),
    ],
)
def test_why_a_rejected_receipt_is_not_presented_again(rejections, last_represents, limit, reason):
    """The batch's exclusion reason and the dunning's wait are the one rule."""
    assert timeline.not_presented_again(rejections, last_represents, limit) == reason
    assert timeline.presented_again(rejections, last_represents, limit) is (bool(rejections) and reason is None)


def test_the_reasons_are_the_batch_s_exclusion_reasons():
    assert (timeline.NOT_REPRESENTED, timeline.LIMIT_REACHED) == ("rejected", "represent_limit")


def test_a_last_rejection_that_does_not_present_again_ends_the_wait():
    assert not timeline.representation_pending([AM04, MS03], limit=5)
    assert not timeline.representation_pending([MS03], limit=5)


def test_a_receipt_that_cannot_be_debited_any_more_waits_for_nothing():
    assert not timeline.representation_pending([AM04], limit=2, can_present=False)


def test_the_ladder_counts_from_the_first_rejection_when_it_is_after_the_due_date():
    assert timeline.ladder_start(date(2026, 1, 1), date(2026, 1, 7)) == date(2026, 1, 7)
    assert timeline.ladder_start(date(2026, 1, 1), None) == date(2026, 1, 1)
    assert timeline.ladder_start(date(2026, 2, 1), date(2026, 1, 7)) == date(2026, 2, 1)
