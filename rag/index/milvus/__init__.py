"""The Milvus store (``store = "milvus"``): passages, vectors and BM25 as sparse vectors in a Milvus
collection (:mod:`.store`, :class:`.store.MilvusIndex` opens it for search), and a local SQLite file
beside it in ``index_dir`` (:mod:`.companion`: documents, rows, term statistics); :mod:`.write` ingests
and removes. Imported only when the settings name this store (it imports pymilvus on use)."""
