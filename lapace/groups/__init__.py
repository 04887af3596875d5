"""Group recourse: regions read off the L-GMVAE's clusters (:mod:`~lapace.groups.regions`),
the GLOBE-CE and T-CREx baselines (:mod:`~lapace.groups.baselines`) and their measures
(:mod:`~lapace.groups.metrics`)."""

from lapace.groups.baselines import GlobeCE, TCREx
from lapace.groups.regions import ClusterRegions, GroupAction, GroupMethod, GroupRecourse

__all__ = ["ClusterRegions", "GlobeCE", "GroupAction", "GroupMethod", "GroupRecourse", "TCREx"]
