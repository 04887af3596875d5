"""The benchmark: the registry of methods and recipes (:mod:`.registry`), one cell of the grid
(:mod:`.evaluation`), the grid and its command line (:mod:`.grid`) and the claims
(:mod:`.claims`). Part of every fingerprint that imports them."""
