"""Reading cells: prose-only cells a chapter's fingerprint leaves out, and the checks that
they decide nothing."""

from pathlib import Path

import pytest

from lapace_book.chapter_cells import cells, computing_source, reading_problems
from lapace_book.fingerprint import code_digest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.py"))

SOURCE = '''# %%
x = 1
table = make(x)
save_table(table, "t")

# %% tags=["remove-input", "reading"]
display(Markdown(f"x is {x}"))

# %% [markdown]
# Prose.

# %%
y = x + 1
'''


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_reading_cell_of_a_chapter_decides_a_result(chapter):
    assert reading_problems(chapter.read_text(), chapter.name) == []


def test_a_reading_cell_is_left_out_of_the_fingerprint_and_a_computing_cell_is_not():
    parsed = cells(SOURCE)
    assert [c.reading for c in parsed] == [False, True, False, False]
    base = code_digest(computing_source(SOURCE))
    reworded = SOURCE.replace('f"x is {x}"', 'f"x equals {x:.1f}, as the table shows"')
    assert code_digest(computing_source(reworded)) == base
    assert code_digest(computing_source(SOURCE.replace("y = x + 1", "y = x + 2"))) != base
    # untagging the cell makes it count
    untagged = SOURCE.replace(', "reading"', "")
    assert code_digest(computing_source(untagged)) != base


@pytest.mark.parametrize("body, problem", [
    ('save_table(t, "name")', "calls save_table(), which writes a result"),
    ('fig.savefig("f.png")', "calls savefig()"),
    ("x = 2", "binds x, which the computing cell at line 12 uses"),
    ('table["new"] = 1', "changes table in place"),
])
def test_a_reading_cell_that_could_decide_a_result_is_reported(body, problem):
    source = SOURCE.replace('display(Markdown(f"x is {x}"))', body)
    found = reading_problems(source, "ch.py")
    assert any(problem in p for p in found), found
    assert all(p.startswith("ch.py line 6") for p in found)


def test_a_name_rebound_before_use_is_not_a_problem():
    source = SOURCE.replace('display(Markdown(f"x is {x}"))', "z = 3").replace(
        "y = x + 1", "z = 4\ny = z")
    assert reading_problems(source) == []
