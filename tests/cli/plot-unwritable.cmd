autotune plot tests/data/good/v1-with-model.yaml -o /nonexistent/directory/p.pdf
