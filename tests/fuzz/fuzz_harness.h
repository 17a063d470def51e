/* fuzz_harness.h - what every fuzz harness of tests/fuzz/ shares: the
 * libFuzzer entry point each harness defines, and the helpers that turn the
 * fuzzer's bytes into the temporary files gradtap's readers take (they read
 * paths, not memory).
 *
 * A harness never leaves a file descriptor or a temporary file behind, and
 * reports a broken promise of a reader (a count out of bounds, a failure
 * without a message, memory exhausted by a few bytes of input) through
 * fuzz_fail(), which aborts: to libFuzzer and to fuzz_driver.c that is a
 * crash, saved with its input. */
#ifndef GRADTAP_FUZZ_HARNESS_H
#define GRADTAP_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* The entry point of one harness (libFuzzer's signature): run the readers
 * on `data`; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's name ("npy", "libsvm", "idx", "snapshot"): the corpus
 * folder tests/fuzz/corpus/NAME/ and the names of saved inputs. */
extern const char *const fuzz_harness_name;

/* A temporary file holding `size` bytes of `data`, in $TMPDIR (or /tmp).
 * Writes its path into `path` (capacity >= 4096). @return 0, or -1 when the
 * file cannot be written (then nothing is left behind). */
int fuzz_temp_file(const void *data, size_t size, char *path, size_t capacity);

/* Remove a file made by fuzz_temp_file(); an empty path is ignored. */
void fuzz_temp_remove(char *path);

/* Print "fuzz NAME: MESSAGE" on stderr and abort(). */
void fuzz_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

/* The promises every reader makes about a status: GTAP_OK or a known
 * negative gtap_status, a message in gtap_last_error() on failure, and no
 * GTAP_ENOMEM or GTAP_EINTERNAL from an input of a few kilobytes (a reader
 * that allocates what a header announces before it checks the file holds
 * it). Fails through fuzz_fail(), naming `call`. Returns `status`. */
int fuzz_check_status(int status, const char *call, size_t input_size);

#endif
