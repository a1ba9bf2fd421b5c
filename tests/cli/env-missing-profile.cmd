AUTOTUNE_PROFILE=/nonexistent/p.yaml autotune env --workload svd --size 1000
