"""Data: verified downloads (:mod:`~lapace.data.loaders`, pinned by ``registry.txt``) and the
tabular dataset that encodes, decodes and projects records (:mod:`~lapace.data.dataset`)."""

from lapace.data.dataset import TabularDataset
from lapace.data.loaders import (
    DATASETS,
    ENV_VAR,
    DataNotAvailableError,
    data_dir,
    data_source,
    fetch,
    load_dataset,
    load_mnist,
)

__all__ = ["DATASETS", "ENV_VAR", "DataNotAvailableError", "TabularDataset", "data_dir",
           "data_source", "fetch", "load_dataset", "load_mnist"]
