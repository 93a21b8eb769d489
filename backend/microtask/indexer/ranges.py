"""How many blocks to ask for at once: grow while quiet, shrink when refused.

Nodes cap ``eth_getLogs`` by block range, by result count or by response time, and the
caps differ; none says its cap up front. Starting moderate, halving on a refusal (and never
asking for a refused span again) and doubling while answers come back small finds a
workable range on any node within a few requests, and follows the chain as it gets busier
or quieter.
"""

from __future__ import annotations


class AdaptiveRange:
    def __init__(self, initial: int, maximum: int, target_events: int) -> None:
        self.maximum = max(1, maximum)
        self.span = max(1, min(initial, self.maximum))
        self.target_events = max(1, target_events)

    def refused(self) -> bool:
        """Halve the span, and never grow back to a refused one; False at a single block."""
        if self.span == 1:
            return False
        self.maximum = max(1, min(self.maximum, self.span - 1))
        self.span = max(1, self.span // 2)
        return True

    def answered(self, events: int) -> None:
        if events < self.target_events // 2:
            self.span = min(self.maximum, self.span * 2)
        elif events > self.target_events * 2:
            self.span = max(1, self.span // 2)
