autotune merge data/examples/single-machine.yaml - -o - < data/examples/cluster.yaml | autotune show -
