/* fuzz_mutate.h - the seed corpus and the deterministic mutations of
 * fuzz_driver.c: case `index` of a run is a pure function of the corpus,
 * the seed and the index, so a case can be made again from its number. */
#ifndef GRADTAP_FUZZ_MUTATE_H
#define GRADTAP_FUZZ_MUTATE_H

#include <stddef.h>
#include <stdint.h>

/* The largest input a mutation makes. */
#define FUZZ_MAX_INPUT ((size_t)1 << 18)

typedef struct fuzz_input {
    unsigned char *bytes;
    size_t size;
    char *name; /* the corpus file's path; NULL for a mutated case */
} fuzz_input;

typedef struct fuzz_corpus {
    fuzz_input *inputs;
    size_t count;
} fuzz_corpus;

/* Add `path`: a regular file, or every regular file of a folder (sorted by
 * name, so that the case numbers do not depend on the file system).
 * @return 0, or -1 with a message on stderr. */
int fuzz_corpus_add(fuzz_corpus *corpus, const char *path);
void fuzz_corpus_free(fuzz_corpus *corpus);

/* Case `index`: the corpus file `index` while index < corpus->count, else a
 * copy of a corpus file changed by 1..4 mutations drawn from (seed, index).
 * `out` is a buffer of FUZZ_MAX_INPUT bytes; returns the case's size. */
size_t fuzz_make_case(const fuzz_corpus *corpus, uint64_t seed, uint64_t index, unsigned char *out);

#endif
