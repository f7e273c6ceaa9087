"""`/cancelled list` with dates out of range or control characters in a filter: an ephemeral
answer that names the word, never "Something went wrong"."""
from __future__ import annotations

import pytest

from tests.slack.signed import buttons
from tests.slack.test_list import some_orders, typed_list
from tests.slack.test_lookup import shown_text

REFUSED = [  # the clock of the running app is tests.integration.builders.NOW, in 2026
    ("from:0001-01-01", "`from:0001-01-01` is out of range: dates go from 2000-01-01 to "
                        "2027-12-31."),
    ("to:9999-12-31", "`to:9999-12-31` is out of range: dates go from 2000-01-01 to 2027-12-31."),
    ("seller:a\x00b", "`seller:a\\x00b` has a control character in it; filters are plain words."),
    ("site:tm\x07on", "`site:tm\\x07on` has a control character in it; filters are plain words."),
]


@pytest.mark.parametrize(("word", "said"), REFUSED, ids=[repr(w) for w, _ in REFUSED])
def test_a_filter_the_list_cannot_use_is_named_with_the_forms_that_work(running_app, word, said):
    some_orders(running_app)

    message, _ = typed_list(running_app, f"api {word}")

    text = shown_text(message)
    assert said in text
    assert "*Filters:* api | excel | site" in text
    assert "Something went wrong" not in text + message.get("text", "")
    assert "\x00" not in text and "\x07" not in text
    assert buttons(message) == []
