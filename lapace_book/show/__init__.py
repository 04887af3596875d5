"""Presentation: figures (:mod:`.plots`, :mod:`.benchmark_plots`), sentences (:mod:`.text`), the
paper-scale boxes (:mod:`.paper_scale`) and the reproduction status (:mod:`.reproduction`).
Nothing here decides a result, so nothing here is part of a fingerprint."""
