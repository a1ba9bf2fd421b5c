autotune run --workload gemm --size 10 --mode fork
