AUTOTUNE_PROFILE=data/examples/cluster.yaml autotune env --machine 806984564c3ce0c1 --workload gemm --size 2000 --items 100
