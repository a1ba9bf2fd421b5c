autotune query --profile data/examples/with-model.yaml --machine dea336c7b55e3339 --workload svd --size 700 --items 16 --format yaml
