autotune --workload svd --size 100 --profile p.yaml
