cat data/examples/cluster.yaml | autotune validate - && printf 'autotune_profile: 2\nmachines: [\n' | autotune validate -
