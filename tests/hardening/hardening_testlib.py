"""What every hardening test reports: per category, how many attempts were tried, how
many were refused (or survived) correctly, and which went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Tally:
    """Counts of one category of attack; `report` prints them and returns the wrong ones.

    Attributes
    ----------
    category
        What was tried, e.g. ``"aggregator takeover"``.
    """

    category: str
    tried: int = 0
    held: int = 0
    wrong: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> bool:
        """Count one attempt; `what` describes it when it went wrong."""
        self.tried += 1
        if ok:
            self.held += 1
        else:
            self.wrong.append(what)
        return ok

    def report(self) -> list[str]:
        """Print ``category: tried N / refused correctly M / wrong K`` and the wrong ones."""
        print(
            f"\n[hardening] {self.category}: tried {self.tried} / "
            f"refused correctly {self.held} / wrong {len(self.wrong)}"
        )
        for item in self.wrong[:20]:
            print(f"[hardening]   wrong: {item}")
        return self.wrong
