"""A small text recognizer (CRNN + CTC) for training with ppocr_lr: data, model, loss,
decoding and metrics, in PaddleOCR's config shape."""
