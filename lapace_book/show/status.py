"""The box a chapter opens with: where its paper-scale numbers stand (fresh by code, fresh by
results, stale, incomplete, missing), from :func:`lapace_book.reference.check_reference`.
Presentation: never part of a fingerprint."""

from __future__ import annotations

from pathlib import Path

from lapace_book.provenance import current_profile
from lapace_book.reference import HOW_TO_MAKE, PROFILE, Report, check_reference, reference_label

__all__ = ["status_markdown"]


def _admonition(title: str, kind: str, body: str) -> str:
    return f"```{{admonition}} {title}\n:class: {kind}\n\n{body}\n```\n"


def _names(parts: list[str], most: int = 8) -> str:
    shown = [f"`{p}`" for p in parts[:most]]
    more = f" and {len(parts) - most} more" if len(parts) > most else ""
    return ", ".join(shown) + more


def status_markdown(chapter: str, root: str | Path | None = None, profile: str | None = None,
                    report: Report | None = None) -> str:
    """The MyST admonition a chapter opens with: where its paper-scale numbers stand.

    - a paper-profile build (``profile``, default ``$LAPACE_PROFILE``): a note that the page is
      itself at the paper's scale;
    - no reference committed: a note that the numbers are the quick profile's and how to make one;
    - the reference lacks this chapter or is incomplete, or is stale for it: a warning naming
      what is missing or the modules that changed since;
    - fresh: the reference's label (:func:`reference_label`).

    ``report``: :func:`check_reference` of ``[chapter]``, when the caller has it already.
    """
    profile = current_profile(profile)
    if profile == PROFILE:
        return _admonition("Paper scale", "note", "This page was built with the paper profile "
                           "itself: its numbers are at the paper's scale, from this build.")
    report = report if report is not None else check_reference(root, chapters=[chapter])
    if report.missing:
        return _admonition(
            "Paper scale: no reference run yet", "note",
            "No paper-scale reference run is committed yet: the numbers on this page are the "
            f"{profile} profile's (a live check), not the paper's scale. {HOW_TO_MAKE}.")
    label = reference_label(root) if report.provenance else "paper scale — reference run"
    if report.problems:
        return _admonition(
            "Paper scale: the reference run is incomplete", "warning",
            f"The committed {label.removeprefix('paper scale — ')}, is "
            f"incomplete: {'; '.join(report.problems[:5])}. The numbers on this page are the "
            f"{profile} profile's (a live check). {HOW_TO_MAKE}.")
    if chapter in report.stale:
        return _admonition(
            "Paper scale: the reference run is stale", "warning",
            f"The committed {label.removeprefix('paper scale — ')}, is **stale** "
            f"for this chapter: since it was made, {_names(report.stale[chapter])} changed, so "
            "its paper-scale numbers may no longer be what the current code gives. The other "
            f"numbers on this page are the {profile} profile's (a live check). {HOW_TO_MAKE}.")
    if chapter in report.by_results:
        c = report.certificate or {}
        return _admonition(
            label + " (fresh by results)", "tip",
            f"The committed reference run (`reference/paper/`) was made at commit "
            f"{str(c.get('reference_commit', '?'))[:7]}; this chapter's code has changed since, "
            f"without changing its results: `make recertify` built the quick profile at that "
            f"commit and at {str(c.get('commit', '?'))[:7]} on one machine "
            f"({str(c.get('created', '?'))[:10]}) and found all {len(c.get('tables', []))} tables "
            "equal. Numbers labelled *paper scale* are the reference's; the others are "
            f"this build's ({profile} profile, a live check of the same code).")
    return _admonition(
        label + " (fresh by code)", "tip", "The committed reference run (`reference/paper/`) was made by the "
        "current code of this chapter. Numbers labelled *paper scale* are its; the others are "
        f"this build's ({profile} profile, a live check of the same code).")
