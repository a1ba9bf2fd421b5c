autotune --frob
