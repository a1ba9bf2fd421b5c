autotune query --workload "My Job" --size 100
