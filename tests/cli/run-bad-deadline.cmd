autotune run --workload gemm --size 10 --deadline soon
