# nothing was measured at size 700: no file is written
autotune plot tests/data/good/v1-with-model.yaml --size 700 -o "$TMP/p.svg"
rc=$?; test -e "$TMP/p.svg" && echo "written"; exit $rc
