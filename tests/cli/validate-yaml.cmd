autotune validate data/examples/cluster.yaml tests/data/bad/unclosed-flow.yaml --format yaml
