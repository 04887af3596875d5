"""Point the data layer at the offline copy of the data when it sits beside the repo."""

import os
from pathlib import Path

_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

if "LAPACE_DATA_DIR" not in os.environ and _SHARED_DATA.is_dir():
    os.environ["LAPACE_DATA_DIR"] = str(_SHARED_DATA)

# The test models are tiny: one thread is as fast and immune to oversubscription when the
# machine is busy (two spinning OpenMP threads can slow small batches down tenfold).
import torch  # noqa: E402

torch.set_num_threads(1)
