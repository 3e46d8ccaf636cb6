"""Week 10: making models cheaper to train and to run, each technique measured against float32.

- :mod:`~genai_kit.efficient.digits`: the week's baseline, a dense digit classifier, and its data;
- :mod:`~genai_kit.efficient.size`: parameters, bytes in memory and on disk, latency;
- :mod:`~genai_kit.efficient.mixed_precision`: training under mixed float16 / bfloat16;
- :mod:`~genai_kit.efficient.batch_size`: throughput against batch size, memory per batch;
- :mod:`~genai_kit.efficient.lora`: low-rank adapters with Keras' ``enable_lora``;
- :mod:`~genai_kit.efficient.quantization`: post-training int8 / int4 with ``model.quantize``;
- :mod:`~genai_kit.efficient.pruning`: magnitude pruning on a polynomial sparsity schedule;
- :mod:`~genai_kit.efficient.distillation`: a small student taught by the kit's CNN;
- :mod:`~genai_kit.efficient.generator`: the same techniques on the shipped VAE's decoder;
- :mod:`~genai_kit.efficient.comparison`: the week's table, every row against float32.
"""
