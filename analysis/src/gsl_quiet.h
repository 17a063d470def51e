/*
 * gsl_quiet.h - (private to libgradtap) GSL's default error handler aborts the process;
 * gradtap libraries must never abort. Every analysis function that calls GSL
 * first calls gtap_gsl_quiet(), which (once, thread-safely) switches GSL's
 * handler off so GSL functions return their error codes instead.
 */
#ifndef GRADTAP_GSL_QUIET_H
#define GRADTAP_GSL_QUIET_H

#ifdef __cplusplus
extern "C" {
#endif

/* Turn GSL's abort-on-error handler off (idempotent, thread-safe). */
void gtap_gsl_quiet(void);

#ifdef __cplusplus
}
#endif
#endif
