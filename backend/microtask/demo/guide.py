"""What a newcomer can try once the demo marketplace is up."""

from __future__ import annotations

from microtask.demo.seed import DemoMarketplace


def demo_next_steps(market: DemoMarketplace) -> str:
    token = market.token
    return f"""
Try it (in another terminal: `. .venv/bin/activate`; dev accounts are funded with 10,000 dUSD):
  microtask account import-dev --count 6          # dev0..dev5 (dev1 posted the tasks)
  microtask work show 2                           # read the sentiment task
  microtask work claim 2 --account dev3           # claim a slot: prints SLOT and its ITEM
  microtask work show 2 --slot SLOT               # the review to judge
  microtask work submit 2 SLOT --answers a.json --account dev3
      a.json: {{"type": "microtask/submission-answers",
               "answers": [{{"item_id": "ITEM",
                            "answer": {{"kind": "classification", "label": "positive"}}}}]}}
  microtask task submissions 2 --account dev1     # the requester decrypts the answers
  microtask task approve 2 SLOT --account dev1    # pay the worker
  microtask work earnings --token {token} --account dev3
  microtask work withdraw --token {token} --account dev3
"""
