autotune query --profile data/examples/cluster.yaml --machine 806984564c3ce0c1 --workload myfft --size 4096 --items 64
