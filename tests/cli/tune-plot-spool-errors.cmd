autotune --workload gemm --size 32 --output "$TMP/p.yaml" --plot x.jpg
autotune --workload gemm --size 32 --output "$TMP/p.yaml" --spool "$TMP/s"
