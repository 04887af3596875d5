"""The experiments behind the chapters: pairs of data and black box (:mod:`.pairs`), profile
settings (:mod:`.profiles`), TSTR (:mod:`.utility`), retrained black boxes (:mod:`.retrain`),
ablations (:mod:`.ablation`), leakage (:mod:`.leakage`), the proximity gap
(:mod:`.proximity_gap`), actionability (:mod:`.actionability`) and the regions' benchmark
(:mod:`.region_benchmark`). Part of every fingerprint that imports them."""
