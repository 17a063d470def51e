/* demo_child.c - `gradtap demo` runs each step (training, fit, bounds,
 * curve, figures) as a child process: stdout into a result file, stderr into
 * the step's log, and a rate-limited progress line on the terminal while it
 * runs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"
#include "gradtap/status.h"

extern char **environ;

double demo_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void demo_progress_init(demo_progress *p, int enabled, int steps)
{
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->steps = steps;
    p->started = demo_now();
}

void demo_progress_step(demo_progress *p, const char *label)
{
    p->step++;
    p->step_started = demo_now();
    snprintf(p->label, sizeof p->label, "%s", label);
    demo_progress_draw(p, 1);
}

void demo_progress_draw(demo_progress *p, int force)
{
    if (p == NULL || !p->enabled) return;
    double now = demo_now();
    if (!force && now - p->last_draw < 0.25) return;
    p->last_draw = now;
    /* \033[K erases the rest of the line left by a longer earlier label. */
    fprintf(stderr, "\r[%d/%d] %-44.44s %5.0fs (total %4.0fs)\033[K", p->step, p->steps, p->label,
            now - p->step_started, now - p->started);
    fflush(stderr);
}

void demo_progress_clear(demo_progress *p)
{
    if (p == NULL || !p->enabled) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

void demo_self_path(char *path, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", path, size - 1);
    if (n <= 0 || (size_t)n >= size - 1) {
        snprintf(path, size, "gradtap");
        return;
    }
    path[n] = '\0';
}

static void log_command(int fd, char *const argv[])
{
    FILE *log = fdopen(dup(fd), "a");
    if (log == NULL) return;
    fputs("$", log);
    for (size_t i = 0; argv[i] != NULL; i++) fprintf(log, " %s", argv[i]);
    fputc('\n', log);
    fclose(log);
}

static int open_output(const char *path, int flags)
{
    return open(path != NULL ? path : "/dev/null", flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
}

int demo_run_child(char *const argv[], const char *stdout_path, const char *log_path, demo_progress *progress,
                   int *exit_status)
{
    int out = -1, err = -1, rc = GTAP_OK;
    posix_spawn_file_actions_t actions;
    int have_actions = 0;
    pid_t pid;
    *exit_status = -1;
    if ((out = open_output(stdout_path, O_TRUNC)) < 0) {
        rc = gtap_set_error(GTAP_EIO, "%s: cannot create: %s", stdout_path, strerror(errno));
        goto done;
    }
    if ((err = open_output(log_path, O_APPEND)) < 0) {
        rc = gtap_set_error(GTAP_EIO, "%s: cannot create: %s", log_path, strerror(errno));
        goto done;
    }
    log_command(err, argv);
    if (posix_spawn_file_actions_init(&actions) != 0) {
        rc = gtap_set_error(GTAP_ENOMEM, "cannot start %s: out of memory", argv[0]);
        goto done;
    }
    have_actions = 1;
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
    int spawn_error = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    if (spawn_error != 0) {
        rc = gtap_set_error(GTAP_EIO, "cannot start %s: %s", argv[0], strerror(spawn_error));
        goto done;
    }
    for (;;) {
        int status = 0;
        pid_t done_pid = waitpid(pid, &status, WNOHANG);
        if (done_pid == pid) {
            *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
            break;
        }
        if (done_pid < 0 && errno != EINTR) {
            rc = gtap_set_error(GTAP_EIO, "waiting for %s: %s", argv[0], strerror(errno));
            break;
        }
        demo_progress_draw(progress, 0);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
done:
    if (have_actions) posix_spawn_file_actions_destroy(&actions);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return rc;
}

/* Keep the last `max` lines seen in a ring of fixed-size buffers. */
enum { TAIL_LINE = 240, TAIL_MAX = 16 };
typedef struct line_ring {
    char lines[TAIL_MAX][TAIL_LINE];
    int count, max;
} line_ring;

static void ring_add(line_ring *ring, const char *line)
{
    /* gradtap's one-line errors repeat once per MPI rank: keep one. */
    if (ring->count > 0 && strcmp(ring->lines[(ring->count - 1) % ring->max], line) == 0) return;
    snprintf(ring->lines[ring->count % ring->max], TAIL_LINE, "%s", line);
    ring->count++;
}

static void ring_print(FILE *stream, const line_ring *ring)
{
    int first = ring->count > ring->max ? ring->count - ring->max : 0;
    for (int i = first; i < ring->count; i++) fprintf(stream, "  %s\n", ring->lines[i % ring->max]);
}

void demo_print_tail(FILE *stream, const char *path, int max_lines)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    if (max_lines > TAIL_MAX) max_lines = TAIL_MAX;
    if (max_lines <= 0) max_lines = 1;
    /* The messages of gradtap itself ("gradtap <cmd>: ...") say what went
     * wrong; mpirun's banners around them do not. Show those when there are
     * any, else the last lines. */
    static line_ring tail, messages;
    memset(&tail, 0, sizeof tail);
    memset(&messages, 0, sizeof messages);
    tail.max = max_lines;
    messages.max = max_lines < 4 ? max_lines : 4;
    char line[TAIL_LINE];
    while (fgets(line, sizeof line, file) != NULL) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] != '\n') {
            int c; /* skip the rest of an over-long line */
            while ((c = fgetc(file)) != EOF && c != '\n') {}
        }
        line[strcspn(line, "\r\n")] = '\0';
        ring_add(&tail, line);
        /* The last "gradtap " of the line: ranks writing at once may glue
         * two messages together. */
        const char *message = NULL;
        for (const char *at = strstr(line, "gradtap "); at != NULL; at = strstr(at + 1, "gradtap ")) message = at;
        if (message != NULL && line[0] != '$' && strchr(message, ':') != NULL) ring_add(&messages, message);
    }
    fclose(file);
    ring_print(stream, messages.count > 0 ? &messages : &tail);
}
