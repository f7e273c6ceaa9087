"""The order feed's row: one lease holder at a time, a cursor that moves only from where it is
and only for the holder, the last poll's outcome, and the problems kept."""
from __future__ import annotations

from datetime import timedelta

from domain.feed_ledger import FeedProblem
from tests.integration.builders import NOW

LEASE = timedelta(seconds=60)


def take(uow, owner, now=NOW):
    with uow() as u:
        taken = u.feed.take_lease(owner, now, now + LEASE)
        u.commit()
    return taken


def advance(uow, since, next_cursor, owner, records=1):
    with uow() as u:
        moved = u.feed.advance(since, next_cursor, owner, NOW + LEASE, records)
        u.commit()
    return moved


def test_the_feed_starts_with_an_empty_cursor_and_no_holder(uow):
    with uow() as u:
        state = u.feed.state()
    assert (state.cursor, state.lease_owner, state.pages, state.ever_polled) == ("", None, 0,
                                                                                False)


def test_only_one_owner_holds_the_lease_until_it_runs_out(uow):
    assert take(uow, "a")
    assert not take(uow, "b")
    assert take(uow, "a")  # its own, renewed
    assert take(uow, "b", now=NOW + LEASE)
    with uow() as u:
        assert u.feed.state().lease_owner == "b"


def test_the_cursor_moves_only_from_where_it_is_and_only_for_the_holder(uow):
    take(uow, "a")

    assert advance(uow, "", "r2", "a", records=2)
    assert not advance(uow, "", "r2", "a")  # the same page again
    assert not advance(uow, "r2", "r4", "b")  # not the holder
    assert advance(uow, "r2", "r4", "a")

    with uow() as u:
        state = u.feed.state()
    assert (state.cursor, state.pages, state.records) == ("r4", 2, 3)


def test_a_cursor_moved_in_a_unit_of_work_that_did_not_commit_stays_where_it_was(uow):
    take(uow, "a")
    with uow() as u:
        assert u.feed.advance("", "r2", "a", NOW + LEASE, 2)
        u.rollback()
    with uow() as u:
        assert u.feed.state().cursor == ""


def test_finishing_ends_the_lease_and_keeps_the_outcome(uow):
    take(uow, "a")
    with uow() as u:
        assert u.feed.finish("a", NOW, "the order feed answered 503")
        assert not u.feed.finish("a", NOW)  # no longer held
        u.commit()
    assert take(uow, "b")
    with uow() as u:
        assert u.feed.finish("b", NOW + LEASE)
        u.commit()
    with uow() as u:
        state = u.feed.state()
    assert (state.lease_expires_at, state.lease_owner) == (None, "b")
    assert (state.last_error, state.last_error_at, state.last_success_at) == (
        "", NOW, NOW + LEASE)


def test_problems_are_kept_newest_first_and_counted(uow):
    with uow() as u:
        for n in range(3):
            u.feed.add_problem(FeedProblem(f"QSP{n}", f"reason {n}", NOW + timedelta(minutes=n),
                                           "r0"))
        u.commit()
    with uow() as u:
        problems = u.feed.problems(limit=2)
        assert u.feed.problem_count() == 3
    assert [(p.packing_no, p.reason, p.seen_at, p.cursor) for p in problems] == [
        ("QSP2", "reason 2", NOW + timedelta(minutes=2), "r0"),
        ("QSP1", "reason 1", NOW + timedelta(minutes=1), "r0")]


def test_resolving_forgets_only_the_problems_of_the_packing_numbers_given(uow):
    with uow() as u:
        for n, packing_no in enumerate(("QSP1", "QSP2", "QSP1", "")):
            u.feed.add_problem(FeedProblem(packing_no, f"reason {n}", NOW, "r0"))
        u.commit()
    with uow() as u:
        forgotten = u.feed.resolve_problems(["QSP1", "QSP9"])
        u.commit()
    with uow() as u:
        assert forgotten == 2
        assert [(p.packing_no, p.reason) for p in u.feed.problems()] == [
            ("", "reason 3"), ("QSP2", "reason 1")]
        assert u.feed.problem_count() == 2
