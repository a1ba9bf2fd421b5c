cat data/examples/single-machine.yaml | autotune show -
