autotune query --profile data/examples/cluster.yaml --machine 806984564c3ce0c1 --workload inv --size 500 --items 100 --strict
