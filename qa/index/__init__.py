"""Chunk -> embeddings -> index/<name>/{manifest.json, vectors.faiss, chunks.jsonl}."""
