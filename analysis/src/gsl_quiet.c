/* gsl_quiet.c - switch GSL's abort-on-error handler off, once. */
#include "gsl_quiet.h"

#include <gsl/gsl_errno.h>
#include <pthread.h>

static pthread_once_t gsl_quiet_once = PTHREAD_ONCE_INIT;

static void turn_gsl_handler_off(void)
{
    gsl_set_error_handler_off();
}

void gtap_gsl_quiet(void)
{
    pthread_once(&gsl_quiet_once, turn_gsl_handler_off);
}
