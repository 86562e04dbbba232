"""Face core: detection, landmarks, alignment, embeddings (dlib), comparison."""
