"""The numbers a conclusion is drawn from: the paper-scale reference when it is fresh, this
build's beside it.

A chapter's interpretive sentences ("the paths turn later than the paper's", "the default
recipe is best") must follow the evidence that can bear them: the committed paper-scale
reference run (:mod:`lapace_book.reference`) when the current code still gives it, and this
build's own numbers (a quick smoke test, or a student's parameters) as the check beside it.
:func:`evidence` loads both versions of a table; :meth:`Evidence.sentence` writes one
conclusion from each and says where they disagree.  Used in a chapter's *reading* cells
(:mod:`lapace_book.chapter_cells`), so rewording never stales the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lapace_book.provenance import results_dir
from lapace_book.reference import PROFILE, check_reference, reference_table

__all__ = ["Evidence", "evidence"]


@dataclass
class Evidence:
    """A table as the reference holds it (``reference``, None when there is none, it is stale
    for the chapter, or this build is the paper profile itself) and as this build wrote it
    (``live``)."""

    name: str
    reference: pd.DataFrame | None
    live: pd.DataFrame | None
    profile: str
    stale: bool = False

    @property
    def main(self) -> pd.DataFrame | None:
        """The table to conclude from: the fresh reference, else this build's."""
        return self.reference if self.reference is not None else self.live

    @property
    def run(self) -> str:
        """Which run :attr:`main` is, in words."""
        if self.reference is not None:
            return "the paper-scale reference run"
        return f"this build ({self.profile} profile)"

    def sentence(self, conclude: Callable[[pd.DataFrame], str],
                 verdict: Callable[[pd.DataFrame], object] | None = None) -> str:
        """``conclude(main)``, naming its run; with a fresh reference and a live table, this
        build's conclusion beside it, and where ``verdict`` (a reading such as "later" or
        "earlier") differs between the two, a sentence saying so."""
        if self.main is None:
            return ""
        text = f"In {self.run}, {conclude(self.main)}."
        if self.reference is not None and self.live is not None and self.profile != PROFILE:
            text += f" This build ({self.profile} profile) as a check: {conclude(self.live)}."
            if verdict is not None and verdict(self.reference) != verdict(self.live):
                text += (" The two runs disagree here; the paper-scale run is the one to "
                         "read, this build's sample being smaller.")
        elif self.stale:
            text += (" (The paper-scale reference is stale for this chapter, so this build's "
                     "numbers are the only current ones.)")
        return text


def evidence(name: str, chapter: str, profile: str, root: str | Path | None = None,
             same_setting: bool = True) -> Evidence:
    """``name`` (a table, without ``.csv``) from the reference, when it is fresh for ``chapter``,
    this build is not the paper profile and ``same_setting`` (the chapter's parameters ask
    what the reference answered: pass False when a reader changed what the table is about,
    e.g. the digits of the MNIST chapter), and from this build's ``results/<profile>/``."""
    live_path = results_dir(profile) / f"{name}.csv"
    live = pd.read_csv(live_path) if live_path.is_file() else None
    ref, stale = None, False
    if profile != PROFILE and same_setting:
        report = check_reference(root, chapters=[chapter])
        stale = chapter in report.stale
        if not report.missing and not stale and not report.problems:
            try:
                ref = reference_table(f"{name}.csv", root)
            except (FileNotFoundError, KeyError, pd.errors.EmptyDataError):
                ref = None
    return Evidence(name, ref, live, profile, stale)
