cat data/examples/cluster.yaml | autotune query --profile - --machine 806984564c3ce0c1 --workload svd --size 1000 --items 64
