autotune env --profile data/examples/cluster.yaml --machine c22c0e65e3c2bd2d --workload exp --size 100000000 --format yaml
