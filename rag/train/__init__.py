"""Training learned parts (beside the stages: it imports them and evals' question sets and index
builder; nothing at run time imports it, and evals never does).

The LambdaMART reranker (:mod:`.reranker`, ``rag train reranker``), the answer selector
(:mod:`.selector`, ``rag train selector``), the cross-encoder trainer (:mod:`.trainer`), generic over
pairs and groups (:mod:`.examples`), the DRCD groups for the passage reranker (:mod:`.pairs_drcd`), the
whole cross-encoder recipe (:mod:`.recipe`, ``rag train cross-encoder``) and the answer judge's
(:mod:`.judge`, :mod:`.pairs_judge`, ``rag train judge``).
"""
