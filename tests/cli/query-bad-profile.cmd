autotune query --profile tests/data/bad/unknown-mode.yaml --workload svd --size 1000
