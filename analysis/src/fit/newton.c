/* newton.c - the damped Newton step the refinements share (fit_internal.h,
 * docs/THEORY.md s.6): solve A step = gradient for a symmetric positive
 * definite A of at most three parameters by Cholesky, leaving out the
 * parameters held at a bound. */
#include <math.h>

#include "fit_internal.h"

int gtap_fit_newton_solve(const double a[3][3], const double *gradient, const int *free, int dim, double *step,
                          double *decrement)
{
    double l[3][3] = {{0}};
    int index[3], m = 0;
    for (int i = 0; i < dim; i++) {
        step[i] = 0.0;
        if (free[i]) index[m++] = i;
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j <= i; j++) {
            double sum = a[index[i]][index[j]];
            for (int k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
            if (i == j) {
                if (!(sum > 0) || !isfinite(sum)) return 0;
                l[i][i] = sqrt(sum);
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    double y[3];
    for (int i = 0; i < m; i++) {
        double sum = gradient[index[i]];
        for (int k = 0; k < i; k++) sum -= l[i][k] * y[k];
        y[i] = sum / l[i][i];
    }
    *decrement = 0.0;
    for (int i = 0; i < m; i++) *decrement += y[i] * y[i]; /* g' A^-1 g */
    for (int i = m - 1; i >= 0; i--) {
        double sum = y[i];
        for (int k = i + 1; k < m; k++) sum -= l[k][i] * step[index[k]];
        step[index[i]] = sum / l[i][i];
    }
    return 1;
}
