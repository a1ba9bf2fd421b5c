autotune query --profile data/examples/cluster.yaml --machine 806984564c3ce0c1 --workload gemm --size 1500 --items 80
