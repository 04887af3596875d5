"""The book's machinery, built on :mod:`lapace` (never the reverse); installed by the ``book``
extra and used from a checkout of the repository.

- :mod:`lapace_book.experiments` and :mod:`lapace_book.benchmark`: the computations behind the
  chapters' tables (pairs, TSTR, retrained models, ablations; the method registry, the grid, the
  claims). Their code is what a chapter's fingerprint covers.
- :mod:`lapace_book.show`: plots, sentences, page boxes and status tables. Presentation, never
  part of a fingerprint.
- the plumbing at the top: :mod:`~lapace_book.provenance` (where results go),
  :mod:`~lapace_book.cache` (the artefact cache), :mod:`~lapace_book.fingerprint` (what decides a
  result), :mod:`~lapace_book.reference` (the paper-scale run), :mod:`~lapace_book.recertify`
  and :mod:`~lapace_book.paper` (the paper's reported numbers).
"""
