autotune run --workload exp --size 10 --partitions 11
