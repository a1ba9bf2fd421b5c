autotune show data/examples/with-model.yaml
