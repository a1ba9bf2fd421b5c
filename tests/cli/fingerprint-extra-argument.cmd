autotune fingerprint now
