autotune query --profile data/examples/cluster.yaml --machine 806984564c3ce0c1 --workload myexp --kind vector --size 1000000
