"""Errors raised by the optimizer."""

from __future__ import annotations

__all__ = ["OptimizerError", "PlanInputError", "SolverFailedError"]


class OptimizerError(Exception):
    """Base class of every error the optimizer raises."""


class PlanInputError(OptimizerError, ValueError):
    """The caller passed inputs the planner cannot use (wrong length, unknown asset, ...).

    This is the caller's fault; the plan is not attempted.
    """


class SolverFailedError(OptimizerError, RuntimeError):
    """The solver returned no usable solution (numerical trouble, not infeasibility).

    The model has slack on every target, so infeasibility cannot be the cause.
    """

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status
