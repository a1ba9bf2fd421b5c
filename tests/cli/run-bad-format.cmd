autotune run --workload gemm --size 10 --format xml
