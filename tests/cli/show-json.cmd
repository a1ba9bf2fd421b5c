autotune show --format json data/examples/with-model.yaml
