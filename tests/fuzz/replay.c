/*
 * replay.c - runs the fuzz target (fuzz_profile.c) once over each file
 * named on the command line, without fuzzing, built with the normal
 * compiler: `make check` replays tests/fuzz/regressions and the seed
 * corpus so (tests/fuzz/run-replay.sh), where clang and libFuzzer may be
 * missing. A broken promise aborts, as under libFuzzer; a file that cannot
 * be read exits 2. Nothing is printed on success.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file, in a buffer of exactly its size (as libFuzzer hands
 * inputs over, so AddressSanitizer sees a read past the end). */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (data = malloc(n ? (size_t)n : 1)) &&
        fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    if (f)
        fclose(f);
    *size = (size_t)n;
    return data;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t size;
        uint8_t *data = slurp(argv[i], &size);
        if (!data) {
            fprintf(stderr, "replay: %s: cannot read\n", argv[i]);
            return 2;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
    }
    return 0;
}
