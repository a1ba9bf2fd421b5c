autotune query --workload svd --size 10 --wrokers 2
