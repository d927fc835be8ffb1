"""question -> ranked Hits: dense (FAISS), BM25 (bm25s), fused."""
