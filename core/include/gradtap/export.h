/*
 * gradtap/export.h - what a gradtap shared library exports.
 *
 * Every gradtap library is compiled with hidden default visibility
 * (cmake/GradtapWarnings.cmake); only declarations marked GTAP_API in the
 * installed headers are exported. Internal functions shared between the
 * files of one library need no mark and stay invisible to users; a test
 * (tests/install/exported_symbols.sh) fails on any exported symbol that no
 * installed header declares.
 *
 * GTAP_HD marks the small inline functions that device code and host code
 * share (the random generators): __host__ __device__ under nvcc, plain
 * static inline in C.
 */
#ifndef GRADTAP_EXPORT_H
#define GRADTAP_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define GTAP_API __attribute__((visibility("default")))
#else
#define GTAP_API
#endif

#if defined(__CUDACC__)
#define GTAP_HD __host__ __device__ __forceinline__
#else
#define GTAP_HD static inline
#endif

#endif /* GRADTAP_EXPORT_H */
