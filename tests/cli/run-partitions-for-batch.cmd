autotune run --workload inv --size 10 --items 4 --partitions 2
