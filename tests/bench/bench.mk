# Benchmarks: make bench.
bench-tools:
bench:
