/* demo.h - what the pieces of `gradtap demo` share (private to the CLI):
 * running the steps as child processes with a progress line, a small CSV
 * reader for the result tables, the verdict, and the selection timing. */
#ifndef GRADTAP_CLI_DEMO_H
#define GRADTAP_CLI_DEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- progress line (demo_child.c) ------------------------------------- */

/* One line on stderr, redrawn in place, only when stderr is a terminal, at
 * most every 0.25 s: "[3/9] fit (rank 0 files)   12s". */
typedef struct demo_progress {
    int enabled;          /* stderr is a tty */
    int step, steps;      /* current step (1-based) and how many there are */
    double started;       /* when the demo started (monotonic seconds) */
    double step_started;  /* when the current step started */
    double last_draw;     /* when the line was last drawn */
    char label[96];
} demo_progress;

/* Seconds on a monotonic clock. */
double demo_now(void);
/* `enabled` is usually gtap_cli_stderr_is_tty(). */
void demo_progress_init(demo_progress *p, int enabled, int steps);
/* Start step `label` (copied; truncated to fit) and draw it. */
void demo_progress_step(demo_progress *p, const char *label);
/* Redraw when 0.25 s have passed since the last draw (or always, `force`). */
void demo_progress_draw(demo_progress *p, int force);
/* Erase the line (before anything else is written to stderr or stdout). */
void demo_progress_clear(demo_progress *p);

/* ---- child processes (demo_child.c) ------------------------------------ */

/* demo_run_child() - run argv[0] (searched in PATH) with argv, its stdout
 * written to `stdout_path` (NULL: /dev/null) and its stderr appended to
 * `log_path` (NULL: /dev/null), and wait for it, redrawing `progress`
 * (may be NULL) while it runs. The command line is written to the log first.
 * @return GTAP_OK with *exit_status = the child's exit code (128 + signal
 *         number when a signal ended it); GTAP_EIO when a file cannot be
 *         opened or the program cannot be started (message names it). */
int demo_run_child(char *const argv[], const char *stdout_path, const char *log_path, demo_progress *progress,
                   int *exit_status);

/* The absolute path of the running gradtap binary (/proc/self/exe) into
 * `path`; "gradtap" (found in PATH) when it cannot be read. */
void demo_self_path(char *path, size_t size);

/* The last `max_lines` lines of a text file to `stream`, each indented by
 * two spaces (for "step X failed, its log ends with: ..."). Nothing when the
 * file cannot be read. */
void demo_print_tail(FILE *stream, const char *path, int max_lines);

/* ---- CSV tables (demo_csv.c) ------------------------------------------ */

/* A CSV file read into memory: a header row and rows of equally many
 * fields (RFC 4180: quoted fields, "" inside quotes, CRLF or LF). */
typedef struct demo_csv demo_csv;

/* demo_csv_read() - read and parse `path`.
 * @return GTAP_OK and *csv (free with demo_csv_free); GTAP_EIO when it cannot
 *         be read; GTAP_EFORMAT when it is empty, a quote is not closed or
 *         a row's field count differs from the header's (message names the
 *         file and line); GTAP_ENOMEM. */
int demo_csv_read(const char *path, demo_csv **csv);
void demo_csv_free(demo_csv *csv);
size_t demo_csv_rows(const demo_csv *csv);
/* Index of the column named `name`, or -1. */
int demo_csv_column(const demo_csv *csv, const char *name);
/* Field of `row` in `column`; "" for column -1 or an out-of-range row. */
const char *demo_csv_text(const demo_csv *csv, size_t row, int column);
/* The field as a number; NaN when empty, "nan" or not a number. */
double demo_csv_number(const demo_csv *csv, size_t row, int column);
/* The field as a flag: 1 for "1", "true", "yes"; 0 otherwise. */
int demo_csv_flag(const demo_csv *csv, size_t row, int column);

/* ---- the verdict (demo_verdict.c) -------------------------------------- */

/* demo_verdict_write() - the short verdict from the result tables in
 * `results_dir` (bounds.csv, bounds_global.csv, fit.csv,
 * converge_summary.csv), written to `out`: share of snapshots holding the
 * tight and the loose bound, best-fitting family, and how close Gaussian-k
 * and top-k came to dense. A table that is missing or unreadable gives a
 * line saying so instead of its part. @return the number of parts that
 * could not be computed (0: complete). */
int demo_verdict_write(FILE *out, const char *results_dir);

/* ---- selection timing (demo_speed.c) ----------------------------------- */

/* demo_speed_write() - time one selection of each selector (topk,
 * gaussiank, dgck, trimmed, randk) on vectors of d = 2^12 .. 2^max_log2_d
 * Laplace values at densities 0.001 and 0.01 (median of repeats), next to
 * the time to read the vector once (a sum of squares), and write the CSV
 * `selector,d,density,k,seconds,floor_seconds,repeats` to `path`.
 * @return GTAP_OK; GTAP_EIO when the file cannot be written; GTAP_ENOMEM;
 *         a sparsifier's status. */
int demo_speed_write(const char *path, int max_log2_d, uint64_t seed);

#endif
