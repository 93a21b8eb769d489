"""`microtask up --demo`: a small working marketplace on a local chain.

It deploys a test stablecoin (Demo Dollar, 6 decimals), gives the development accounts some,
and has dev account 1 post three realistic tasks: shape labelling over bundled images,
sentiment classification and a transcription check. Seeding is idempotent: on a chain
that already has tasks it only reports what is there, so a restarted `up --demo`
continues the same marketplace.
"""

from microtask.demo.seed import DemoMarketplace, seed_demo

__all__ = ["DemoMarketplace", "seed_demo"]
