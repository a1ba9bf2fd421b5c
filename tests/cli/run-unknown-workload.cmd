autotune run --workload fft --size 10
