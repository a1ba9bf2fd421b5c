autotune calibrate --fast
