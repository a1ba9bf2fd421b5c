autotune query --workload fft --size 100
