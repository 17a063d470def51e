/* fuzz_mutate.c - corpus loading and the mutations of fuzz_driver.c: bit
 * flips, bytes and words set to interesting values (0x00, 0xff, 0x7f, 0x80,
 * INT32_MAX, ...), small additions, truncation, duplicated and erased
 * chunks, splices of two corpus files, and tokens of the text formats
 * (LIBSVM lines, .npy header dicts) inserted or written over. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_mutate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int read_whole(const char *path, fuzz_input *input)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "fuzz: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    input->bytes = malloc(FUZZ_MAX_INPUT);
    input->size = input->bytes ? fread(input->bytes, 1, FUZZ_MAX_INPUT, file) : 0;
    int too_big = input->bytes && fgetc(file) != EOF;
    fclose(file);
    if (input->bytes == NULL || too_big) {
        fprintf(stderr, "fuzz: %s: %s\n", path, too_big ? "larger than 256 KiB" : "out of memory");
        free(input->bytes);
        return -1;
    }
    input->name = strdup(path);
    return input->name ? 0 : -1;
}

static int add_file(fuzz_corpus *corpus, const char *path)
{
    fuzz_input *grown = realloc(corpus->inputs, (corpus->count + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    corpus->inputs = grown;
    if (read_whole(path, &corpus->inputs[corpus->count]) != 0) return -1;
    corpus->count++;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_folder(fuzz_corpus *corpus, const char *path)
{
    DIR *dir = opendir(path);
    if (dir == NULL) return -1;
    char **names = NULL;
    size_t count = 0;
    int rc = 0;
    for (struct dirent *entry; rc == 0 && (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.') continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        size_t length = strlen(path) + strlen(entry->d_name) + 2;
        char *name = grown ? malloc(length) : NULL;
        if (grown) names = grown;
        if (name == NULL) {
            rc = -1;
            break;
        }
        snprintf(name, length, "%s/%s", path, entry->d_name);
        names[count++] = name;
    }
    closedir(dir);
    if (count > 1) qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        struct stat info;
        if (rc == 0 && stat(names[i], &info) == 0 && S_ISREG(info.st_mode)) rc = add_file(corpus, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int fuzz_corpus_add(fuzz_corpus *corpus, const char *path)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = S_ISDIR(info.st_mode) ? add_folder(corpus, path) : add_file(corpus, path);
    if (rc != 0) fprintf(stderr, "fuzz: cannot read the corpus %s\n", path);
    return rc;
}

void fuzz_corpus_free(fuzz_corpus *corpus)
{
    for (size_t i = 0; i < corpus->count; i++) {
        free(corpus->inputs[i].bytes);
        free(corpus->inputs[i].name);
    }
    free(corpus->inputs);
    corpus->inputs = NULL;
    corpus->count = 0;
}

/* splitmix64 */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t below(uint64_t *state, size_t bound) { return bound ? (size_t)(next_random(state) % bound) : 0; }

/* A position, half of the time in the first 512 bytes (headers, HDF5's superblock). */
static size_t position(uint64_t *state, size_t size)
{
    if (size == 0) return 0;
    if (size > 512 && next_random(state) & 1) return below(state, 512);
    return below(state, size);
}

static const uint64_t interesting_words[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000u,
    0xffffffffu, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull};
static const char *const tokens[] = {
    "0", "1", "-1", "+1", ":", " ", "\n", "\t", "#", "1e39", "-1e39", "nan", "inf", "-0", "0x10",
    "4294967296", "18446744073709551616", "67108864", "67108865", "999999999999", "1:1", "2:0.5",
    "(", ")", ",", "()", "(0,)", "(1, 2)", "'", "\"", "True", "False", "{", "}", "'descr':", "'shape':",
    "'fortran_order':", "'<f4'", "'>f8'", "'<f2'", "'|u1'", "'<i8'", "L", "\x93NUMPY", "\x1f\x8b\x08"};

static void put_word(unsigned char *bytes, size_t size, size_t at, uint64_t value, int width, int big_endian)
{
    for (int i = 0; i < width && at + (size_t)i < size; i++) {
        int shift = 8 * (big_endian ? width - 1 - i : i);
        bytes[at + (size_t)i] = (unsigned char)(value >> shift);
    }
}

/* Insert `length` bytes of `text` at `at` (kept within FUZZ_MAX_INPUT). */
static size_t insert(unsigned char *bytes, size_t size, size_t at, const unsigned char *text, size_t length)
{
    if (size + length > FUZZ_MAX_INPUT) length = FUZZ_MAX_INPUT - size;
    memmove(bytes + at + length, bytes + at, size - at);
    memmove(bytes + at, text, length);
    return size + length;
}

static size_t mutate_chunk(uint64_t *state, unsigned char *bytes, size_t size, int duplicate)
{
    if (size < 2) return size;
    size_t from = below(state, size), length = 1 + below(state, size - from < 256 ? size - from : 256);
    if (!duplicate) {
        memmove(bytes + from, bytes + from + length, size - from - length);
        return size - length;
    }
    unsigned char copy[256];
    memcpy(copy, bytes + from, length);
    return insert(bytes, size, below(state, size + 1), copy, length);
}

static size_t splice(uint64_t *state, unsigned char *bytes, size_t size, const fuzz_corpus *corpus)
{
    const fuzz_input *other = &corpus->inputs[below(state, corpus->count)];
    size_t cut = below(state, size + 1), from = below(state, other->size + 1);
    size_t length = other->size - from;
    if (cut + length > FUZZ_MAX_INPUT) length = FUZZ_MAX_INPUT - cut;
    memcpy(bytes + cut, other->bytes + from, length);
    return cut + length;
}

static size_t mutate_once(uint64_t *state, unsigned char *bytes, size_t size, const fuzz_corpus *corpus)
{
    size_t at = position(state, size);
    switch (below(state, 10)) {
    case 0: if (size) bytes[at] ^= (unsigned char)(1u << below(state, 8)); return size;
    case 1: {
        static const unsigned char values[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};
        if (size) bytes[at] = values[below(state, sizeof values)];
        return size;
    }
    case 2: if (size) bytes[at] = (unsigned char)next_random(state); return size;
    case 3: return below(state, size + 1);
    case 4: return mutate_chunk(state, bytes, size, 1);
    case 5: return mutate_chunk(state, bytes, size, 0);
    case 6: return splice(state, bytes, size, corpus);
    case 7: {
        static const int widths[] = {1, 2, 4, 8};
        uint64_t value = interesting_words[below(state, sizeof interesting_words / sizeof *interesting_words)];
        put_word(bytes, size, at, value, widths[below(state, 4)], (int)below(state, 2));
        return size;
    }
    case 8: {
        unsigned delta = 1 + (unsigned)below(state, 16);
        if (size) bytes[at] = (unsigned char)(below(state, 2) ? bytes[at] + delta : bytes[at] - delta);
        return size;
    }
    default: {
        const char *token = tokens[below(state, sizeof tokens / sizeof *tokens)];
        size_t length = strlen(token);
        if (below(state, 2)) return insert(bytes, size, below(state, size + 1), (const unsigned char *)token, length);
        for (size_t i = 0; i < length && at + i < size; i++) bytes[at + i] = (unsigned char)token[i];
        return size;
    }
    }
}

size_t fuzz_make_case(const fuzz_corpus *corpus, uint64_t seed, uint64_t index, unsigned char *out)
{
    if (index < corpus->count) {
        memcpy(out, corpus->inputs[index].bytes, corpus->inputs[index].size);
        return corpus->inputs[index].size;
    }
    uint64_t state = seed ^ (index * 0xD1B54A32D192ED03ull);
    next_random(&state);
    const fuzz_input *base = &corpus->inputs[below(&state, corpus->count)];
    memcpy(out, base->bytes, base->size);
    size_t size = base->size;
    for (size_t rounds = 1 + below(&state, 4); rounds > 0; rounds--) size = mutate_once(&state, out, size, corpus);
    return size;
}
