AUTOTUNE_PROFILE=data/examples/single-machine.yaml autotune show | head -2
