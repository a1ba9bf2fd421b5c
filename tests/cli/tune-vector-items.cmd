autotune --workload exp --size 1000 --items 4
