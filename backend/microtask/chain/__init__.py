"""Everything that touches an EVM chain: compiling, chains, deploying, sending transactions."""
