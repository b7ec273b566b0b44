/** @file lrpkernels.h
 ** @brief The one public header of the C kernels: the narrow ABI between Swift and C.
 **
 ** Conventions (DESIGN.md §1), binding on every function declared here:
 ** - Flat arrays of float32 (`float`) in C order; tensors are NCHW; sizes are passed explicitly.
 ** - No Swift types, no hidden allocation policy: callers pass output and workspace buffers.
 **   Where a kernel needs scratch memory it publishes a `*_workspace_size` query.
 ** - Every function that can fail returns an `int` status: ::LRP_OK (0) or a negative ::LrpStatus.
 ** - Kernels are single-threaded over the range they are given; callers (Swift) split work across
 **   cores. OpenBLAS is used single-threaded (see ::lrp_blas_set_threads).
 ** - Hot loops have an AVX2/FMA path selected at run time (::lrp_cpu_has_avx2_fma) and a portable
 **   fallback, so the library runs on any x86-64 (and non-x86) CPU.
 ** - Each function is documented here, at its declaration: what it computes, the layout of every
 **   array, and what the caller must provide.
 **/
#ifndef LRPKERNELS_H
#define LRPKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================================== */
/* 0. Status codes, CPU features, threading                                              */
/* ====================================================================================== */

/** @brief Status codes returned by fallible kernels. */
typedef enum LrpStatus {
  LRP_OK = 0,            /**< success */
  LRP_E_ARGUMENT = -1,   /**< an argument is out of range or sizes are inconsistent */
  LRP_E_NOMEM = -2,      /**< a caller-provided buffer is too small */
  LRP_E_DECODE = -3,     /**< the input bytes are not a valid image of the expected format */
  LRP_E_UNSUPPORTED = -4,/**< valid input of a kind the kernel does not handle */
  LRP_E_IO = -5          /**< an I/O error while writing */
} LrpStatus;

/** @brief Whether the running CPU has AVX2 and FMA (checked once, then cached).
 ** @return 1 if the AVX2/FMA code paths are used, 0 if the portable ones are. */
int lrp_cpu_has_avx2_fma(void);

/** @brief Force the portable code paths (for tests comparing both paths).
 ** @param disable 1 to use portable code even on AVX2 machines, 0 to restore auto-detection. */
void lrp_cpu_disable_simd(int disable);

/** @brief Set OpenBLAS's thread count (the project keeps it at 1 and parallelises itself). */
void lrp_blas_set_threads(int threads);

/* ====================================================================================== */
/* 1. Image codecs (libjpeg with a setjmp error manager, libpng)                          */
/* ====================================================================================== */

/** @brief Size of an encoded image, read from its header only.
 ** @param data       encoded bytes (JPEG or PNG, detected from the signature).
 ** @param size       number of bytes in @a data.
 ** @param width      out: width in pixels.
 ** @param height     out: height in pixels.
 ** @param channels   out: 1 (grey) or 3 (RGB) -- the channel count ::lrp_image_decode writes.
 ** @param message    out: a NUL-terminated reason on failure (may be NULL).
 ** @param messageCapacity bytes available in @a message.
 ** @return ::LRP_OK, ::LRP_E_DECODE (corrupt or truncated) or ::LRP_E_UNSUPPORTED (not JPEG/PNG,
 **         or a JPEG colour space other than grey/RGB/YCbCr). Never calls exit(). */
int lrp_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels,
                   char *message, size_t messageCapacity);

/** @brief Decode a JPEG or PNG into 8-bit interleaved pixels (HWC, row-major).
 **
 ** Grey images give 1 channel; everything else is converted to 3-channel RGB (palette and
 ** 16-bit PNGs are expanded/stripped, alpha is dropped; CMYK JPEGs are rejected).
 ** @param pixels     out: width*height*channels bytes as reported by ::lrp_image_info.
 ** @param capacity   bytes available in @a pixels.
 ** @return ::LRP_OK, ::LRP_E_DECODE, ::LRP_E_UNSUPPORTED or ::LRP_E_NOMEM (buffer too small).
 **         On a corrupt stream the decoder's error is caught with setjmp: no exit(), no leak. */
int lrp_image_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity,
                     char *message, size_t messageCapacity);

/** @brief Encode 8-bit interleaved pixels as PNG into a file.
 ** @param path       destination path (the caller writes to a temporary name and renames).
 ** @param pixels     height*width*channels bytes, HWC.
 ** @param channels   1 (grey), 3 (RGB) or 4 (RGBA).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_IO. */
int lrp_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels,
                  char *message, size_t messageCapacity);

/* ====================================================================================== */
/* 2. CNN: convolution forward, LRP backward rules, pooling                               */
/*    (owned by the CNN engine; see Sources/CNNRelevance)                                 */
/* ====================================================================================== */

/* ====================================================================================== */
/* 3. Fisher vectors: dense SIFT, GMM posteriors and EM statistics, Fisher encoding and    */
/*    its relevance (owned by the FV pipeline; see Sources/FisherVectors)                  */
/* ====================================================================================== */

/* -------------------------------------------------------------------------------------- */
/* 3.h Half-precision storage (owned by the FV pipeline: CKernels/src/half.c). Training keeps  */
/*     every Fisher vector as IEEE binary16 to halve memory; the SVM solver converts back.   */
/* -------------------------------------------------------------------------------------- */

/** @brief Convert float32 to IEEE 754 binary16 (round to nearest even; overflow gives inf).
 ** @param src   @a count float32 values.
 ** @param dst   out: @a count binary16 bit patterns.
 ** @param count number of values. F16C path when the CPU has AVX2/FMA/F16C, else portable. */
void lrp_half_from_float(const float *src, uint16_t *dst, size_t count);

/** @brief Convert IEEE 754 binary16 to float32 (exact).
 ** @param src   @a count binary16 bit patterns.
 ** @param dst   out: @a count float32 values.
 ** @param count number of values. */
void lrp_half_to_float(const uint16_t *src, float *dst, size_t count);

/** @brief Convert a block of rows of binary16 to float32: row r reads
 **        `src[r*srcStride + 0..count)` and writes `dst[r*dstStride + 0..count)`.
 ** @param rows  number of rows; @a count values per row. */
void lrp_half_to_float_strided(const uint16_t *src, size_t srcStride, float *dst, size_t dstStride,
                               size_t rows, size_t count);

#ifdef __cplusplus
}
#endif
#endif /* LRPKERNELS_H */
