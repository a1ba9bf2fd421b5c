autotune query --profile data/examples/cluster.yaml --machine ffffffffffffffff --workload svd --size 1000
