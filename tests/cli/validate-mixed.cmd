autotune validate data/examples/cluster.yaml tests/data/bad/workers-zero.yaml tests/data/bad/unclosed-flow.yaml
