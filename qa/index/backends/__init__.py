"""Where an index's chunks are searched: the storage Protocol and its implementations.

`protocol.py` says what retrieval needs (dense search per vector field, lexical search, both
under filters); `faiss_files.py` is the default, FAISS and bm25s files loaded in one process.
A distributed engine joins as another implementation passing the same contract tests
(tests/test_backend_contract.py).
"""
