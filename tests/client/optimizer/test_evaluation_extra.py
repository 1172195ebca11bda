"""`openderms plan evaluate` without the optional ``eval`` extra names the extra to install."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from openderms.client.optimizer import evaluation_data
from openderms.client.optimizer.errors import PlanInputError


def test_a_missing_demandlib_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "demandlib", None)  # as if it were not installed
    times = pd.date_range("2027-01-15", periods=4, freq="15min", tz="UTC")
    with pytest.raises(PlanInputError, match=r"pip install 'openderms\[eval\]'"):
        evaluation_data._household_load_w(times, 2027, 3500.0, seed=1)
