"""The local store: an index folder of FAISS vectors, BM25 term frequencies and SQLite metadata, in
immutable segments listed by generations (``format.py`` has the layout). :class:`.load.Index` opens
it for search; :mod:`.write` ingests into it, removes from it and compacts it; :mod:`.check` verifies it."""
