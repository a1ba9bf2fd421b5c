autotune validate --format json data/examples/cluster.yaml tests/data/bad/workers-zero.yaml /nonexistent/profile.yaml
