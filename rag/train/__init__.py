"""Training learned parts (beside the stages: it imports them, nothing at run time imports it).

The cross-encoder trainer (:mod:`.trainer`), generic over pairs and groups (:mod:`.examples`), the DRCD
groups for the passage reranker (:mod:`.pairs_drcd`) and the whole recipe (:mod:`.recipe`,
``rag train cross-encoder``).
"""
