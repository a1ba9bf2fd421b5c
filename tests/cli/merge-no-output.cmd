autotune merge data/examples/cluster.yaml
