"""What a newcomer can try once the demo marketplace is up."""

from __future__ import annotations

from microtask.demo.seed import COIN_SYMBOL


def demo_next_steps() -> str:
    """The same on every demo chain: the demo coin goes by its symbol, not its address."""
    return f"""
Try it (in another terminal: `. .venv/bin/activate`; dev accounts are funded with 10,000 dUSD):
  microtask account import-dev --count 6          # dev0..dev5 (dev1 posted the tasks)
  microtask work tasks --sort match --account dev3
  microtask work show 2                           # the sentiment task: six reviews
  microtask work claim 2 --gasless --answers a.json --count 6 --account dev3
      a.json: {{"type": "microtask/submission-answers",
               "answers": [{{"item_id": "review-0",
                            "answer": {{"kind": "classification", "label": "positive"}}}}, ...]}}
      no gas: the verifier (dev2) hands out slots and receipts, then judges and settles
  microtask task verification 2                   # each slot's decision
  microtask task results 2 --account dev1         # the aggregate, for the requester only
  microtask work profile --account dev3           # records, scores, badges
  microtask work withdraw --token {COIN_SYMBOL} --account dev3
  (task 3 is claimed on chain: `microtask work claim 3`, then `work submit`; see README.md)
"""
