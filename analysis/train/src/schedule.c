/* schedule.c - step-size schedules of the trainer (docs/THEORY.md s.8):
 * Stich's eta_t = gamma / (lambda (t + a)), constant, and step decay; the
 * theorem's shift for alpha = 5. */
#include <math.h>

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
