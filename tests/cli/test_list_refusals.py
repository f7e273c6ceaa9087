"""`cancelbot list` with filters it cannot use: one line saying why, status 1, no traceback."""
from __future__ import annotations

import pytest

NOW = "--now=2026-11-24T10:00:00+09:00"

REFUSED = [
    ("from:0001-01-01",
     "`from:0001-01-01` is out of range: dates go from 2000-01-01 to 2027-12-31."),
    ("to:9999-12-31", "`to:9999-12-31` is out of range: dates go from 2000-01-01 to 2027-12-31."),
    ("seller:a\x00b", "`seller:a\\x00b` has a control character in it; filters are plain words."),
    ("site:\x1b[31mtmon", "`site:\\x1b[31mtmon` has a control character in it; filters are "
                          "plain words."),
]


@pytest.mark.parametrize(("word", "said"), REFUSED, ids=[repr(w) for w, _ in REFUSED])
def test_a_filter_out_of_range_or_with_control_characters_is_one_clear_line(
        cancelbot, word, said):
    run = cancelbot("list", NOW, "api", word)

    assert (run.status, run.out) == (1, "")
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith(said)
    assert "\x00" not in run.err and "\x1b" not in run.err


def test_the_widest_dates_in_range_list_every_order(cancelbot):
    run = cancelbot("list", NOW, "from:2000-01-01", "to:2027-12-31")

    assert (run.status, run.err) == (0, "")
