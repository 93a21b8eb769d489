"""Categorical answers as arrays: the form every label model, copy test and accuracy
estimate works on.

A `VoteTable` holds one row per (worker, item) answer, each as three integer codes (item,
worker, label), plus the known label of each gold item (-1 where unknown). Rows are sorted
by item then worker and codes by their text, so the same answers always give the same table
whatever order they came in: everything computed from it is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

Codes = NDArray[np.intp]


def _codes(names: Sequence[str]) -> tuple[tuple[str, ...], Codes]:
    """The sorted distinct names and each name's position among them."""
    if not names:
        return (), np.zeros(0, dtype=np.intp)
    distinct, codes = np.unique(np.array(names, dtype=object), return_inverse=True)
    return tuple(str(name) for name in distinct), codes.astype(np.intp).ravel()


@dataclass(frozen=True, eq=False)
class VoteTable:
    """Categorical answers: ``item[n]``, ``worker[n]`` and ``label[n]`` are the codes of
    answer ``n``; ``known[i]`` is item ``i``'s known (gold) label code, or -1."""

    items: tuple[str, ...]
    workers: tuple[str, ...]
    labels: tuple[str, ...]
    item: Codes
    worker: Codes
    label: Codes
    known: Codes

    @classmethod
    def build(
        cls,
        rows: Iterable[tuple[str, str, str]],
        known: Mapping[str, str] | None = None,
        labels: Sequence[str] = (),
    ) -> VoteTable:
        """The table of ``(item, worker, label)`` rows (at most one per item and worker).

        ``known``: gold labels by item, for the items among the rows. ``labels``: labels to
        include even if nobody gave them (a gold label nobody chose still has a column).
        """
        given = list(rows)
        gold = dict(known or {})
        item_names, item = _codes([row[0] for row in given])
        worker_names, worker = _codes([row[1] for row in given])
        present = set(item_names)
        gold = {i: label for i, label in gold.items() if i in present}
        label_names = tuple(sorted({row[2] for row in given} | set(gold.values()) | set(labels)))
        label_code = {name: n for n, name in enumerate(label_names)}
        label = np.array([label_code[row[2]] for row in given], dtype=np.intp)
        order = np.lexsort((label, worker, item))
        item, worker, label = item[order], worker[order], label[order]
        if len(item) > 1:
            repeated = (item[1:] == item[:-1]) & (worker[1:] == worker[:-1])
            if (repeated & (label[1:] != label[:-1])).any():
                raise ValueError("two answers by one worker to one item")
            keep = np.concatenate(([True], ~repeated))
            item, worker, label = item[keep], worker[keep], label[keep]
        item_code = {name: n for n, name in enumerate(item_names)}
        known_codes = np.full(len(item_names), -1, dtype=np.intp)
        for name, gold_label in gold.items():
            known_codes[item_code[name]] = label_code[gold_label]
        return cls(
            items=item_names,
            workers=worker_names,
            labels=label_names,
            item=item,
            worker=worker,
            label=label,
            known=known_codes,
        )

    @property
    def answers(self) -> int:
        return len(self.item)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(items, workers, labels)."""
        return len(self.items), len(self.workers), len(self.labels)

    def subset(self, keep: NDArray[np.bool_]) -> VoteTable:
        """The same items, workers and labels with only the rows where ``keep`` is true
        (codes stay the same, so models fitted on a subset line up with the whole)."""
        return VoteTable(
            items=self.items,
            workers=self.workers,
            labels=self.labels,
            item=self.item[keep],
            worker=self.worker[keep],
            label=self.label[keep],
            known=self.known,
        )

    def without_known(self) -> VoteTable:
        """The same answers with no label known (to see how a model does on gold)."""
        return VoteTable(
            items=self.items,
            workers=self.workers,
            labels=self.labels,
            item=self.item,
            worker=self.worker,
            label=self.label,
            known=np.full(len(self.items), -1, dtype=np.intp),
        )

    @cached_property
    def incidence(self) -> csr_matrix:
        """A sparse (worker x label) by item matrix counting who answered what where: the
        label models' sums over answers are products with it."""
        _, workers, labels = self.shape
        return csr_matrix(
            (np.ones(self.answers), (self.worker * labels + self.label, self.item)),
            shape=(workers * labels, len(self.items)),
        )

    def votes(self) -> NDArray[np.float64]:
        """Answers per (item, label)."""
        counts = np.zeros((len(self.items), len(self.labels)))
        np.add.at(counts, (self.item, self.label), 1.0)
        return counts

    def answers_per_item(self) -> NDArray[np.intp]:
        return np.bincount(self.item, minlength=len(self.items))

    def pairs(self) -> tuple[Codes, Codes]:
        """Every two answers to the same item, as two arrays of row numbers (the first row's
        worker code is below the second's)."""
        if not self.answers:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        bounds = np.flatnonzero(np.diff(self.item)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [self.answers]))
        firsts: list[Codes] = []
        seconds: list[Codes] = []
        for size in np.unique(ends - starts):
            if size < 2:
                continue
            group = starts[ends - starts == size]
            a, b = np.triu_indices(int(size), 1)
            firsts.append((group[:, None] + a[None, :]).ravel())
            seconds.append((group[:, None] + b[None, :]).ravel())
        if not firsts:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        return np.concatenate(firsts), np.concatenate(seconds)
