"""Week 11: language models on characters, from counts to a small Transformer, measured right.

- :mod:`~genai_kit.text.vocabulary`: characters to integer ids and back;
- :mod:`~genai_kit.text.metrics`: cross-entropy, perplexity, bits per character, distinct-n;
- :mod:`~genai_kit.text.ngram`: count-based n-gram models with add-k smoothing, the baseline;
- :mod:`~genai_kit.text.windows`: training windows as a ``tf.data`` pipeline, held-out windows
  with their padding masked;
- :mod:`~genai_kit.text.language_model`: what every neural model shares (the masked loss,
  held-out log-probabilities, generation with or without a cache);
- :mod:`~genai_kit.text.lstm`: a character LSTM;
- :mod:`~genai_kit.text.transformer`: a small decoder-only Transformer with a key/value cache;
- :mod:`~genai_kit.text.sampling`: greedy, temperature, top-k and top-p (nucleus) choices;
- :mod:`~genai_kit.text.training`: training a model on a corpus, with its throughput;
- :mod:`~genai_kit.text.comparison`: the week's table, every model on the same split.

The corpus comes from :func:`genai_kit.data.load_text`.
"""
