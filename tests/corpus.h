/* corpus.h — where the shared conformance corpus (real files from the official exporter) is, and
 * what a suite does in a clone that has none: it says so by name and exits with
 * CORPUS_SKIP_CODE, which ctest reports as "Skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt)
 * and scripts/test.sh counts; the project's own files (the zoo) cover the same paths there. */
#ifndef PETITE_TESTS_CORPUS_H
#define PETITE_TESTS_CORPUS_H

#include <stdio.h>
#include <stdlib.h>

#ifndef PETITE_DEFAULT_CONFORMANCE_DIR
#define PETITE_DEFAULT_CONFORMANCE_DIR "../shared/conformance"
#endif

#define CORPUS_SKIP_CODE 77

/* the corpus directory (the argument, else $PETITE_CONFORMANCE_DIR, else the build's default), or
 * NULL when it holds no manifest.json */
static inline const char *corpus_dir(const char *arg) {
    const char *dir = arg && arg[0] ? arg : getenv("PETITE_CONFORMANCE_DIR");
    if (!dir || !dir[0]) dir = PETITE_DEFAULT_CONFORMANCE_DIR;
    char path[2048];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fclose(f);
    return dir;
}

/* the corpus directory, or the suite reports itself skipped and the process exits */
static inline const char *corpus_dir_or_skip(const char *suite, const char *arg) {
    const char *dir = corpus_dir(arg);
    if (dir) return dir;
    printf("%s: SKIPPED: no conformance corpus (manifest.json) at %s; a clone without ../shared runs the "
           "project's own files instead\n",
           suite, arg && arg[0] ? arg : getenv("PETITE_CONFORMANCE_DIR") ? getenv("PETITE_CONFORMANCE_DIR")
                                                                          : PETITE_DEFAULT_CONFORMANCE_DIR);
    fflush(stdout);
    exit(CORPUS_SKIP_CODE);
}

#endif
