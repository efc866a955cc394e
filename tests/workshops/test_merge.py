"""The three-way merge (workshops/merge.py): examples, then properties over random edits."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from workshops.merge import MISSING, merge

BASE = {
    "problem_statement": "Hires wait weeks.",
    "who_is_affected": "Hires",
    "evidence": ["Exit surveys", "Ticket volume"],
}


def test_a_field_changed_on_one_side_takes_that_side():
    theirs = {**BASE, "who_is_affected": "Hires and managers"}
    mine = {**BASE, "problem_statement": "Hires wait six weeks."}
    result = merge(BASE, theirs, mine)
    assert result.clean
    assert result.value == {**theirs, "problem_statement": "Hires wait six weeks."}
    assert result.from_theirs == ["who_is_affected"]


def test_list_items_added_on_both_sides_are_all_kept():
    theirs = {**BASE, "evidence": [*BASE["evidence"], "Manager interviews"]}
    mine = {**BASE, "evidence": ["Onboarding NPS", *BASE["evidence"]]}
    result = merge(BASE, theirs, mine)
    assert result.clean
    assert result.value["evidence"] == [
        "Onboarding NPS",
        "Exit surveys",
        "Ticket volume",
        "Manager interviews",
    ]
    assert result.from_theirs == ["evidence"]


def test_different_items_edited_and_removed_merge_item_by_item():
    base = {"evidence": ["a", "b", "c", "d"]}
    theirs = {"evidence": ["A", "b", "c", "d"]}  # edited the first
    mine = {"evidence": ["a", "b", "c"]}  # removed the last
    assert merge(base, theirs, mine).value == {"evidence": ["A", "b", "c"]}


def test_objects_in_a_list_merge_field_by_field():
    base = {"stakeholders": [{"name": "HR", "influence": "low"}]}
    theirs = {"stakeholders": [{"name": "HR team", "influence": "low"}]}
    mine = {"stakeholders": [{"name": "HR", "influence": "high"}]}
    assert merge(base, theirs, mine).value == {
        "stakeholders": [{"name": "HR team", "influence": "high"}]
    }


def test_the_same_field_changed_differently_is_a_conflict_with_all_three_values():
    theirs = {**BASE, "who_is_affected": "THEIRS"}
    mine = {**BASE, "who_is_affected": "MINE", "problem_statement": "Mine too."}
    result = merge(BASE, theirs, mine)
    assert [(c.field, c.base, c.theirs, c.mine) for c in result.conflicts] == [
        ("who_is_affected", "Hires", "THEIRS", "MINE")
    ]
    assert result.value["problem_statement"] == "Mine too."


def test_the_same_list_item_edited_differently_is_a_conflict():
    theirs = {**BASE, "evidence": ["Exit surveys (2025)", "Ticket volume"]}
    mine = {**BASE, "evidence": ["Exit surveys, Q3", "Ticket volume"]}
    (conflict,) = merge(BASE, theirs, mine).conflicts
    assert conflict.field == "evidence"


def test_an_item_removed_on_one_side_and_edited_on_the_other_is_a_conflict():
    theirs = {**BASE, "evidence": ["Ticket volume"]}
    mine = {**BASE, "evidence": ["Exit surveys, Q3", "Ticket volume"]}
    assert [c.field for c in merge(BASE, theirs, mine).conflicts] == ["evidence"]


def test_a_field_cleared_on_one_side_and_edited_on_the_other_is_a_conflict():
    theirs = {k: v for k, v in BASE.items() if k != "evidence"}
    mine = {**BASE, "evidence": ["Exit surveys", "Ticket volume", "NPS"]}
    (conflict,) = merge(BASE, theirs, mine).conflicts
    assert (conflict.field, conflict.theirs) == ("evidence", MISSING)


def test_no_base_two_first_saves_merge_what_they_agree_on():
    result = merge(None, {"a": "same", "b": "theirs"}, {"a": "same", "c": "mine"})
    assert result.clean
    assert result.value == {"a": "same", "b": "theirs", "c": "mine"}


# --- properties ----------------------------------------------------------------------

WORDS = st.text(alphabet="abcdefxyz", min_size=1, max_size=4)
LEVELS = st.sampled_from(["low", "medium", "high"])
ITEM = st.fixed_dictionaries({"name": WORDS, "influence": LEVELS})
ARTIFACT = st.fixed_dictionaries(
    {"title": WORDS, "tags": st.lists(WORDS, max_size=5), "people": st.lists(ITEM, max_size=4)},
    optional={"note": WORDS},
)


@st.composite
def edited(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with random edits a person could make in the form."""
    value = copy.deepcopy(base)
    if draw(st.booleans()):
        value["title"] = draw(WORDS)
    if draw(st.booleans()):
        if "note" in value and draw(st.booleans()):
            del value["note"]
        else:
            value["note"] = draw(WORDS)
    for name, new in (("tags", WORDS), ("people", ITEM)):
        items = value[name]
        for _ in range(draw(st.integers(0, 3))):
            op = draw(st.sampled_from(["add", "remove", "edit", "move"]))
            if op == "add" or not items:
                items.insert(draw(st.integers(0, len(items))), draw(new))
            elif op == "remove":
                items.pop(draw(st.integers(0, len(items) - 1)))
            elif op == "edit":
                i = draw(st.integers(0, len(items) - 1))
                if name == "people" and draw(st.booleans()):
                    items[i] = {**items[i], "influence": draw(LEVELS)}
                else:
                    items[i] = draw(new)
            else:
                i = draw(st.integers(0, len(items) - 1))
                items.insert(draw(st.integers(0, len(items) - 1)), items.pop(i))
    return value


def leaves(value: Any) -> set[Any]:
    if isinstance(value, dict):
        return {leaf for item in value.values() for leaf in leaves(item)}
    if isinstance(value, list):
        return {leaf for item in value for leaf in leaves(item)}
    return set() if value is MISSING else {value}


@st.composite
def three_versions(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    base = draw(ARTIFACT)
    return base, draw(edited(base)), draw(edited(base))


@settings(max_examples=400, deadline=None)
@given(three_versions())
def test_nothing_either_side_typed_is_lost(versions):
    base, theirs, mine = versions
    result = merge(base, theirs, mine)
    kept = leaves(result.value)
    for side, name in ((theirs, "theirs"), (mine, "mine")):
        typed = leaves(side) - leaves(base)
        in_conflicts = leaves([getattr(c, name) for c in result.conflicts])
        assert typed <= kept | in_conflicts, (typed - kept - in_conflicts, result)


@settings(max_examples=200, deadline=None)
@given(three_versions())
def test_one_sided_changes_merge_cleanly_to_that_side(versions):
    base, theirs, mine = versions
    assert merge(base, base, mine).value == mine
    assert merge(base, theirs, base).value == theirs
    assert merge(base, mine, mine).value == mine


@settings(max_examples=200, deadline=None)
@given(three_versions())
def test_a_conflict_is_only_reported_where_both_sides_changed_the_field(versions):
    base, theirs, mine = versions
    for conflict in merge(base, theirs, mine).conflicts:
        assert conflict.theirs != conflict.base
        assert conflict.mine != conflict.base
        assert conflict.theirs != conflict.mine
