taskset -c 0 autotune fingerprint | grep -o "usable_cpus: [0-9]*"
