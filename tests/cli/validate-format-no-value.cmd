autotune validate data/examples/cluster.yaml --format
