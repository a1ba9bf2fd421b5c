autotune query --size 100
