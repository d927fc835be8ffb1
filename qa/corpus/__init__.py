"""Files -> Document (sections, paragraphs) -> Chunk. Structure detection for PDF-to-text messes."""
