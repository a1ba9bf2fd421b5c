autotune show data/examples/cluster.yaml
