autotune show --wide data/examples/cluster.yaml
