autotune query --profile data/examples/cluster.yaml --machine 806984564c3ce0c1 --workload svd --size 1000 --items 64 --format json
