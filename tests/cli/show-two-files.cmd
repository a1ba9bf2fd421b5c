autotune show a.yaml b.yaml
