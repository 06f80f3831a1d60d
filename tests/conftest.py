"""The suite's shared set-up.

The batches of plans (sweeps, grids, the frontier, decision-costs) run in this process
unless a test gives its own runner (``KAMOPT_WORKERS=0``, :mod:`kamopt.planning.batch`):
a test is quicker without starting a cluster, and the notebooks' kernels and the
``kamopt`` commands the tests start inherit it. The tests of the cluster set their runner
explicitly; :func:`dask_cluster.dask_scheduler_address` starts a real scheduler with two
workers for any test that asks for it.
"""

from __future__ import annotations

import os

os.environ.setdefault("KAMOPT_WORKERS", "0")

from dask_cluster import dask_scheduler_address  # noqa: E402,F401  (a fixture for every test)
