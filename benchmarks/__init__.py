"""Runtime benchmarks:
``python -m benchmarks.run --gguf PATH --out benchmarks/results/NAME.json``."""
