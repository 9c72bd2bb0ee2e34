"""Training learned parts (beside the stages: it imports them and evals' question sets and index
builder; nothing at run time imports it, and evals never does).

The answer selector (:mod:`.selector`, ``rag train selector``); the cross-encoder trainer
(:mod:`.trainer`), generic over pairs and groups (:mod:`.examples`); the passage reranker: its DRCD
groups (:mod:`.pairs_drcd`) and whole recipe (:mod:`.recipe`, ``rag train cross-encoder``); the
answer judge (:mod:`.judge`, :mod:`.pairs_judge`, ``rag train judge``).
"""
