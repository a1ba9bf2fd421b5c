autotune env --profile data/examples/cluster.yaml --machine 806984564c3ce0c1 --workload gemm --size 2000 --items 100 --strict
