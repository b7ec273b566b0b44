#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>

/* Fortran LAPACK (column-major, arguments by pointer). Declared here because
   Debian's OpenBLAS has no LAPACKE. */

/* Symmetric eigen-decomposition, divide and conquer (PCA). */
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
/* Double-precision variant, for accurate covariance eigenvectors. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
#endif
