/* schedule.c - step-size schedules of the trainer (docs/THEORY.md s.8):
 * Stich's eta_t = gamma / (lambda (t + a)), constant, and step decay; the
 * theorem's shift for alpha = 5; and the per-rank capture file name. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gradtap/train.h"

double gtap_schedule_eta(const gtap_schedule *schedule, uint64_t t)
{
    if (schedule == NULL) return NAN;
    switch (schedule->kind) {
    case GTAP_SCHEDULE_STICH:
        return schedule->gamma / (schedule->lambda * ((double)t + schedule->shift));
    case GTAP_SCHEDULE_CONSTANT:
        return schedule->lr;
    case GTAP_SCHEDULE_STEP:
        return schedule->lr * pow(schedule->decay, floor((double)t / (double)schedule->decay_every));
    }
    return NAN;
}

double gtap_theory_shift(uint64_t d, uint64_t k)
{
    const double alpha = 5.0;
    const double rho = 4.0 * alpha / ((alpha - 4.0) * (alpha + 1.0) * (alpha + 1.0));
    return (alpha + 1.0) * (double)d / (double)(k ? k : 1) + rho / (rho + 1.0);
}

int gtap_train_capture_path(const char *path, int rank, int world_size, char *out, size_t capacity)
{
    if (path == NULL || out == NULL || capacity == 0) return gtap_set_error(GTAP_EINVAL, "capture path: NULL argument");
    int written;
    if (world_size <= 1) {
        written = snprintf(out, capacity, "%s", path);
    } else {
        const char *slash = strrchr(path, '/');
        const char *dot = strrchr(slash ? slash + 1 : path, '.');
        if (dot == NULL || dot == (slash ? slash + 1 : path)) dot = path + strlen(path);
        written = snprintf(out, capacity, "%.*s.rank%05d%s", (int)(dot - path), path, rank, dot);
    }
    if (written < 0 || (size_t)written >= capacity)
        return gtap_set_error(GTAP_EINVAL, "capture path '%s' is too long", path);
    return GTAP_OK;
}
