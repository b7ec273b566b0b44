/** @file lrpkernels.h
 ** @brief The one public header of the C kernels: the narrow ABI between Swift and C.
 **
 ** Conventions (docs/DESIGN.md §1), binding on every function declared here:
 ** - Flat arrays of float32 (`float`) in C order; tensors are NCHW; sizes are passed explicitly.
 ** - No Swift types, no hidden allocation policy: callers pass output and workspace buffers.
 **   Where a kernel needs scratch memory it publishes a `*_workspace_size` query.
 ** - Every function that can fail returns an `int` status: ::LRP_OK (0) or a negative ::LrpStatus.
 ** - Kernels are single-threaded over the range they are given; callers (Swift) split work across
 **   cores. OpenBLAS is used single-threaded (see ::lrp_blas_set_threads).
 ** - Hot loops have an AVX2/FMA path selected at run time (::lrp_cpu_has_avx2_fma) and a portable
 **   fallback, compiled from one loop body (src/simd.h), so the library runs on any x86-64 (and
 **   non-x86) CPU.
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

/** @brief Set OpenBLAS's thread count (the project keeps it at 1 and parallelises itself).
 ** @param threads threads for BLAS calls; values below 1 mean 1. */
void lrp_blas_set_threads(int threads);

/** @brief Keep freed large blocks in the process instead of returning them to the kernel.
 **
 ** For long runs that allocate and free the same large buffers thousands of times (region
 ** perturbation re-scores batch after batch): glibc's default returns each block above its
 ** mmap threshold to the kernel on free and re-faults its pages on the next allocation. Raises
 ** the mmap threshold to 32 MiB (glibc's maximum), the trim threshold to 1 GiB and the top pad
 ** to 64 MiB. Does nothing on other C libraries.
 ** @return 1 if the settings were applied, 0 otherwise. */
int lrp_keep_freed_memory(void);

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
 **         or a JPEG colour space other than grey/RGB/YCbCr/CMYK/YCCK). Never calls exit().
 **         Allocates nothing proportional to the image: callers check the size before decoding. */
int lrp_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels,
                   char *message, size_t messageCapacity);

/** @brief Decode a JPEG or PNG into 8-bit interleaved pixels (HWC, row-major).
 **
 ** Grey images give 1 channel; everything else is converted to 3-channel RGB (palette and
 ** 16-bit PNGs are expanded/stripped, alpha is dropped; CMYK and YCCK JPEGs are converted as
 ** Pillow converts them, see ::lrp_image_decode_reduced). Same as
 ** ::lrp_image_decode_reduced with no reduction.
 ** @param pixels     out: width*height*channels bytes as reported by ::lrp_image_info.
 ** @param capacity   bytes available in @a pixels.
 ** @return ::LRP_OK, ::LRP_E_DECODE, ::LRP_E_UNSUPPORTED or ::LRP_E_NOMEM (buffer too small).
 **         On a corrupt stream the decoder's error is caught with setjmp: no exit(), no leak. */
int lrp_image_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity,
                     char *message, size_t messageCapacity);

/** @brief Decode a JPEG or PNG reduced in size while it is read, so that memory follows the
 ** result, not the picture (docs/DESIGN.md §5.3).
 **
 ** JPEGs are first decoded with libjpeg's DCT scaling 1/@a scaleDenom (what Pillow's draft()
 ** uses); then every @a boxX × @a boxY block of the (scaled) picture becomes one output pixel,
 ** the rounded mean of its samples (blocks at the right and bottom edges cover fewer). Rows are
 ** decoded one at a time (non-interlaced PNG, baseline JPEG); an interlaced PNG is held whole
 ** and refused above 256 MB, and libjpeg may use at most 384 MB (progressive JPEGs beyond it are
 ** refused). Channels as ::lrp_image_decode; CMYK/YCCK JPEGs (Adobe-inverted, as libjpeg
 ** returns them) become RGB with Pillow's formula R = (255 − K) − C·(255 − K)/255 (rounded),
 ** on Pillow's reading C = 255 − raw C, K = 255 − raw K.
 ** @param scaleDenom JPEG DCT scaling denominator: 1, 2, 4 or 8 (ignored for PNG).
 ** @param boxX, boxY box reduction factors, ≥ 1 (1, 1: none).
 ** @param pixels     out: outW*outH*channels bytes, HWC; NULL to only report the result's size.
 ** @param capacity   bytes available in @a pixels.
 ** @param width, height, channels out: size of the result, ceil(scaled size / box factor)
 **                   (may be NULL when @a pixels is given).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (bad factors), ::LRP_E_DECODE, ::LRP_E_UNSUPPORTED or
 **         ::LRP_E_NOMEM (buffer too small, or out of memory). Never calls exit(), no leak. */
int lrp_image_decode_reduced(const uint8_t *data, size_t size, int scaleDenom, int boxX, int boxY,
                             uint8_t *pixels, size_t capacity, int *width, int *height, int *channels,
                             char *message, size_t messageCapacity);

/** @brief Encode 8-bit interleaved pixels as PNG into a file.
 ** @param path       destination path (the caller writes to a temporary name and renames).
 ** @param pixels     height*width*channels bytes, HWC.
 ** @param channels   1 (grey), 3 (RGB) or 4 (RGBA).
 ** @param level      zlib level 0...9 (0: stored, uncompressed deflate blocks).
 ** @param subFilter  1: every row gets the Sub filter (photographs); 0: no filter (colour maps,
 **                   whose runs of equal colours compress better unfiltered).
 ** One fixed filter and a low level: lossless like any PNG, written several times faster than
 ** with libpng's defaults (level 6, adaptive filtering).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_IO. */
int lrp_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels,
                  int level, int subFilter, char *message, size_t messageCapacity);

/** @brief Resize 8-bit interleaved pixels with Pillow's bilinear passes (`Image.resize(BILINEAR)`):
 ** horizontal pass first, then vertical; fixed-point weights with 22 fractional bits, a 32-bit
 ** sum starting at one half, each pass clipped to bytes (Pillow's ImagingResample*_8bpc).
 ** Per output column x: the first input column @a xStart[x], @a xCount[x] ≤ @a xTaps weights in
 ** row x of @a xWeights (outW × xTaps); likewise per output row. Only the input rows the
 ** vertical pass reads get the horizontal pass.
 ** @param in       inH*inW*channels bytes, HWC.
 ** @param tmp      workspace of at least (rows read) × outW × channels bytes (inH × outW ×
 **                 channels always suffices); @a tmpCapacity its size.
 ** @param out      out: outH*outW*channels bytes, HWC.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (a tap outside the input, bad sizes) or ::LRP_E_NOMEM
 **         (workspace too small). */
int lrp_resize_u8(const uint8_t *in, int inW, int inH, int channels,
                  const int32_t *xStart, const int32_t *xCount, const int32_t *xWeights, int xTaps, int outW,
                  const int32_t *yStart, const int32_t *yCount, const int32_t *yWeights, int yTaps, int outH,
                  uint8_t *tmp, size_t tmpCapacity, uint8_t *out);

/* ====================================================================================== */
/* 2. CNN: convolution forward, LRP backward rules, pooling                               */
/*    (the CNN engine in Sources/CNNRelevance calls them)                                 */
/* ====================================================================================== */

/* Layout used by every kernel of this section: one sample at a time, NCHW without the batch
 * dimension, i.e. a feature map is `float[channels][height][width]` (C order) and "spatial"
 * means height*width. The caller (Swift) loops over the batch and splits the work of one sample
 * through the `...Begin`/`...End` ranges, which never overlap in what they write. */

/** @brief Geometry of a 2-D convolution (ONNX `Conv` semantics, incl. groups and dilations).
 ** Weights are `float[outChannels][inChannels/groups][kernelH][kernelW]`. Output position
 ** (oh, ow), tap (kh, kw) reads input row `oh*strideH - padTop + kh*dilationH` and column
 ** `ow*strideW - padLeft + kw*dilationW`; positions outside the input are zero (bottom/right
 ** padding is implied by outHeight/outWidth). Output channel `o` belongs to group
 ** `o / (outChannels/groups)` and reads the input channels of that group. */
typedef struct LrpConvGeometry {
  int inChannels, inHeight, inWidth;
  int outChannels, outHeight, outWidth;
  int kernelH, kernelW;
  int strideH, strideW;
  int padTop, padLeft;
  int dilationH, dilationW;
  int groups;
} LrpConvGeometry;

/** @brief Check a convolution geometry: positive sizes, channels divisible by groups, non-negative pads.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_conv_check(const LrpConvGeometry *g);

/** @brief Scratch floats ::lrp_conv_forward needs for any row range (0 for 1x1/stride 1/no pad
 ** and for depthwise convolutions, which need no im2col).
 ** @return the float count, or 0 for a geometry ::lrp_conv_check rejects. */
size_t lrp_conv_forward_workspace(const LrpConvGeometry *g);

/** @brief Convolution forward for a range of output rows: `y = conv(x, w) + bias`.
 **
 ** Regular convolutions use im2col + OpenBLAS sgemm per group (1x1, stride 1, unpadded ones go
 ** straight to sgemm); convolutions with one input channel per group (depthwise, any channel
 ** multiplier) use direct loops with an AVX2/FMA path.
 ** @param g          geometry (see ::LrpConvGeometry).
 ** @param x          input `float[inChannels][inHeight][inWidth]`.
 ** @param w          weights `float[outChannels][inChannels/groups][kernelH][kernelW]`.
 ** @param bias       `float[outChannels]` or NULL for none.
 ** @param y          output `float[outChannels][outHeight][outWidth]`; only rows
 **                   `[rowBegin, rowEnd)` of every channel are written.
 ** @param rowBegin   first output row (0 <= rowBegin <= rowEnd <= outHeight).
 ** @param rowEnd     one past the last output row.
 ** @param workspace  scratch of at least ::lrp_conv_forward_workspace floats (may be NULL if that is 0).
 ** @param workspaceFloats size of @a workspace in floats.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM (workspace too small). */
int lrp_conv_forward(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                     float *y, int rowBegin, int rowEnd, float *workspace, size_t workspaceFloats);

/** @brief Convolution forward for a range of output channels (all rows): as ::lrp_conv_forward,
 ** but splitting the weights instead of the image. Preferable for small maps with many
 ** channels, where every row range would pack the whole weight matrix; regular convolutions
 ** redo the im2col of their group per call.
 ** @param y  output; only channels `[channelBegin, channelEnd)` are written.
 ** @param workspace at least ::lrp_conv_forward_workspace floats (may be NULL if that is 0).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_conv_forward_channels(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                              float *y, int channelBegin, int channelEnd, float *workspace, size_t workspaceFloats);

/** @brief Scratch floats ::lrp_conv_backward_data needs for any channel range.
 ** @return the float count, or 0 for a geometry ::lrp_conv_check rejects. */
size_t lrp_conv_backward_workspace(const LrpConvGeometry *g);

/** @brief Transposed convolution (gradient of the convolution with respect to its input) for a
 ** range of input channels: `dx[c][q] = sum over (o, p, tap) with tap(p) = q of w[o][c'][tap] * dy[o][p]`.
 **
 ** The LRP rules use it with modified weights (w+, w-, w^2, stacked [w+; w-]) and normalised
 ** relevance as @a dy. Regular convolutions: sgemm (W^T dy) + col2im; depthwise: direct loops.
 ** @param g          geometry of the forward convolution.
 ** @param w          weights `float[outChannels][inChannels/groups][kernelH][kernelW]`.
 ** @param dy         `float[outChannels][outHeight][outWidth]`.
 ** @param dx         `float[inChannels][inHeight][inWidth]`; channels `[channelBegin, channelEnd)`
 **                   are overwritten, the others are not touched.
 ** @param workspace  scratch of at least ::lrp_conv_backward_workspace floats (may be NULL if that is 0).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_conv_backward_data(const LrpConvGeometry *g, const float *w, const float *dy, float *dx,
                           int channelBegin, int channelEnd, float *workspace, size_t workspaceFloats);

/** @brief Sum of output relevance over the output channels of each group (first step of the
 ** flat rule): `sums[k][p] = sum over o in group k of r[o][p]`.
 ** @param r     `float[outChannels][outHeight*outWidth]`.
 ** @param sums  `float[groups][outHeight*outWidth]`; groups `[groupBegin, groupEnd)` are written.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_conv_group_sums(const LrpConvGeometry *g, const float *r, float *sums, int groupBegin, int groupEnd);

/** @brief Flat rule of a convolution on one spatial map (second step): spreads each output
 ** position's value uniformly over the input positions of its receptive field,
 ** `out[q] = sum over (p, tap) with tap(p) = q of scale * s[p] / (D(p) + stabilizer)` where
 ** `D(p) = (inChannels/groups) * (number of taps of p inside the input)` (zennit's `Flat`:
 ** conv(ones, ones), padding not counted). The same map is every input channel's relevance of
 ** the group, so the caller copies it to those channels (or keeps it as one map).
 ** @param s      `float[outHeight*outWidth]` summed relevance of one group (see ::lrp_conv_group_sums),
 **               or a channel-uniform relevance map with @a scale = outChannels/groups.
 ** @param scale  factor applied to @a s.
 ** @param stabilizer added to D(p) (D > 0 always; zennit's default is 1e-6).
 ** @param out    `float[inHeight*inWidth]`, overwritten.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_conv_flat_spread(const LrpConvGeometry *g, const float *s, float scale, float stabilizer, float *out);

/** @brief Fully connected forward for a range of output features: `y[n][o] = sum_i w[o][i] x[n][i] + bias[o]`.
 ** @param x       `float[batch][inFeatures]`.
 ** @param w       `float[outFeatures][inFeatures]`.
 ** @param bias    `float[outFeatures]` or NULL.
 ** @param y       `float[batch][outFeatures]`; columns `[outBegin, outEnd)` are written.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_linear_forward(const float *x, int batch, int inFeatures, const float *w, int outFeatures,
                       const float *bias, float *y, int outBegin, int outEnd);

/** @brief Fully connected transposed product for a range of input features:
 ** `dx[n][i] = sum_o dy[n][o] w[o][i]`.
 ** @param dy      `float[batch][outFeatures]`.
 ** @param w       `float[outFeatures][inFeatures]`.
 ** @param dx      `float[batch][inFeatures]`; columns `[inBegin, inEnd)` are overwritten.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_linear_backward_data(const float *dy, int batch, int outFeatures, const float *w, int inFeatures,
                             float *dx, int inBegin, int inEnd);

/** @brief Floats of scratch memory ::lrp_pointwise_forward_batch and
 ** ::lrp_pointwise_backward_batch need: `(inChannels + outChannels) * 1024`. */
size_t lrp_pointwise_batch_workspace(const LrpConvGeometry *g);

/** @brief Pointwise convolution (1x1, stride 1, no padding, one group) of a whole batch as one
 ** GEMM: `y[n][o][p] = bias[o] + sum_c w[o][c] x[n][c][p]` for the columns `j = n*H*W + p` in
 ** `[colBegin, colEnd)`.
 **
 ** On small maps one sample's product is a skinny GEMM that packs the weights for few columns;
 ** gathering the columns of all samples packs them once per 1024 columns. Each output sums over
 ** the channels as ::lrp_conv_forward does (bias first), so the two give the same values.
 ** @param x  `float[batch][inChannels][H*W]`; @param w  `float[outChannels][inChannels]`.
 ** @param bias  `float[outChannels]` or NULL; @param y  `float[batch][outChannels][H*W]`
 **              (only the columns of the range are written).
 ** @param workspace  at least ::lrp_pointwise_batch_workspace floats.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (not pointwise, grouped, bad range) or ::LRP_E_NOMEM. */
int lrp_pointwise_forward_batch(const LrpConvGeometry *g, const float *x, int batch, const float *w,
                                const float *bias, float *y, int colBegin, int colEnd, float *workspace,
                                size_t workspaceFloats);

/** @brief Transposed pointwise convolution of a whole batch as one GEMM:
 ** `dx[n][c][p] = sum_o w[o][c] dy[n][o][p]` for the columns `j = n*H*W + p` in `[colBegin, colEnd)`
 ** (the batched form of ::lrp_conv_backward_data for pointwise geometries).
 ** @param w  `float[outChannels][inChannels]`; @param dy  `float[batch][outChannels][H*W]`;
 ** @param dx `float[batch][inChannels][H*W]` (only the columns of the range are written).
 ** @param workspace  at least ::lrp_pointwise_batch_workspace floats.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_pointwise_backward_batch(const LrpConvGeometry *g, const float *w, const float *dy, int batch, float *dx,
                                 int colBegin, int colEnd, float *workspace, size_t workspaceFloats);

/** @brief Epsilon / z rule normalisation: `g[i] = r[i] / (z[i] + epsilon * sign(z[i]))` with
 ** sign(0) = +1 and 0/0 = 0 (only possible with epsilon = 0).
 ** @param r  relevance at the layer output; @param z  the layer output (pre-activation, incl. bias);
 ** @param g  result (may alias @a r); all arrays hold @a n floats. */
void lrp_epsilon_normalize(const float *r, const float *z, float epsilon, float *g, size_t n);

/** @brief Alpha-beta normalisation on stacked positive/negative pre-activations.
 **
 ** With `[w+; w-]` stacked per group as the weights of one convolution of `2*outPerGroup`
 ** outputs per group, its output holds, for input x+, the products `w+ x+` and `w- x+`. This
 ** kernel forms `P = w+ x+ + w- x- + b+` and `N = w- x+ + w+ x- + b-` and writes
 ** `a = alpha * r / (P + s)` in the first half and `b = -beta * r / (N - s)` in the second half
 ** of each group of @a ab (s = stabilizer with sign, sign(0) = +1), ready for one transposed
 ** product with the same stacked weights.
 ** @param r       relevance `float[groups*outPerGroup][spatial]`.
 ** @param pn      products for x+ `float[groups][2][outPerGroup][spatial]`.
 ** @param pnNeg   products for x- in the same layout, or NULL when the input has no negative values.
 ** @param biasPos b+ per output channel `float[groups*outPerGroup]` or NULL (zero).
 ** @param biasNeg b- per output channel or NULL (zero).
 ** @param spatialBegin,spatialEnd  the spatial range `[spatialBegin, spatialEnd)` processed.
 ** @param ab      out: a and b in the layout of @a pn (may alias @a pn).
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_alphabeta_normalize(const float *r, const float *pn, const float *pnNeg, const float *biasPos,
                            const float *biasNeg, int groups, int outPerGroup, int spatial,
                            int spatialBegin, int spatialEnd, float alpha, float beta, float stabilizer,
                            float *ab);

/** @brief ::lrp_alphabeta_normalize on products whose groups hold more channels than `[w+; w-]`.
 **
 ** The forward pass of a non-negative input computes `[w+; w-; w]` per group in one product
 ** (the plain `w x + b` is the layer output), so each group of @a pn spans
 ** @a productGroupChannels (≥ 2·outPerGroup) channels, `w+ x` first, `w- x` next. @a ab keeps
 ** the compact layout `float[groups][2][outPerGroup][spatial]` of the transposed product.
 ** @param productGroupChannels  channels per group in @a pn and @a pnNeg.
 ** Other parameters as ::lrp_alphabeta_normalize; @a ab may alias @a pn only when
 ** @a productGroupChannels is `2*outPerGroup`.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_alphabeta_normalize_strided(const float *r, const float *pn, const float *pnNeg, int productGroupChannels,
                                    const float *biasPos, const float *biasNeg, int groups, int outPerGroup,
                                    int spatial, int spatialBegin, int spatialEnd, float alpha, float beta,
                                    float stabilizer, float *ab);

/** @brief z-plus normalisation (alpha-beta with beta = 0): only the positive half is formed.
 **
 ** `a = alpha * r / stab(P)` with `P = w+ x+ + w- x- + b+` (s = stabilizer with sign,
 ** sign(0) = +1, 0/0 = 0), ready for the transposed products with `w+` (and `w-` for x-).
 ** @param r       relevance `float[groups*outPerGroup][spatial]`.
 ** @param pp      `w+ x+` (or `w+ x` for a non-negative input), group k's channel o at channel
 **                `k*productGroupChannels + o`.
 ** @param qn      `w- x-` in the layout of @a pp, or NULL when the input has no negative values.
 ** @param productGroupChannels  channels per group in @a pp and @a qn (≥ outPerGroup).
 ** @param biasPos b+ per output channel `float[groups*outPerGroup]` or NULL (zero).
 ** @param spatialBegin,spatialEnd  the spatial range processed.
 ** @param a       out: `float[groups*outPerGroup][spatial]` (may alias @a r).
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_zplus_normalize(const float *r, const float *pp, const float *qn, int productGroupChannels,
                        const float *biasPos, int groups, int outPerGroup, int spatial, int spatialBegin,
                        int spatialEnd, float alpha, float stabilizer, float *a);

/** @brief Copies channels `[srcOffset, srcOffset + outPerGroup)` of every group of a stacked
 ** product into a compact tensor: `dst[k][o][p] = src[k*srcGroupChannels + srcOffset + o][p]`.
 ** Extracts the plain output `w x + b` from the one stacked forward product.
 ** @param src  `float[groups*srcGroupChannels][spatial]`; @param dst  `float[groups*outPerGroup][spatial]`.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_copy_group_rows(const float *src, int srcGroupChannels, int srcOffset, int groups, int outPerGroup,
                        int spatial, float *dst);

/** @brief Whether any of the @a n values is negative (used to skip the x- half of alpha-beta).
 ** @return 1 if some x[i] < 0, else 0. */
int lrp_has_negative(const float *x, size_t n);

/** @brief Whether every value of `x[0..n)` is finite (no infinity, no NaN): the check each
 ** explanation's result passes before it is returned.
 ** @return 1 if all are finite, 0 otherwise. */
int lrp_all_finite(const float *x, size_t n);

/** @brief `pos = max(x, 0)`, `neg = min(x, 0)` over @a n floats. */
void lrp_split_sign(const float *x, float *pos, float *neg, size_t n);

/** @brief `y = a * b` elementwise over @a n floats (y may alias a or b). */
void lrp_mul(const float *a, const float *b, float *y, size_t n);

/** @brief `y = max(x,0) * dPos + min(x,0) * dNeg` elementwise over @a n floats. */
void lrp_signed_mul(const float *x, const float *dPos, const float *dNeg, float *y, size_t n);

/** @brief `y += x` over @a n floats. */
void lrp_accumulate(const float *x, float *y, size_t n);

/** @brief `y = s * x` over @a n floats (y may alias x). */
void lrp_scale(const float *x, float s, float *y, size_t n);

/** @brief z-box combination of the first layer: `out[c][p] = x[c][p] d[c][p] - low[c] dLow[c][p]
 ** - high[c] dHigh[c][p]` for a map of @a channels x @a spatial floats. */
void lrp_zbox_combine(const float *x, const float *low, const float *high, const float *d,
                      const float *dLow, const float *dHigh, int channels, size_t spatial, float *out);

/** @brief Residual sum split proportionally (zennit's `Norm` on a sum):
 ** `ra = a * r / (a + b + s*sign)`, `rb = b * r / (a + b + s*sign)` over @a n floats. */
void lrp_sum_split(const float *a, const float *b, const float *r, float stabilizer,
                   float *ra, float *rb, size_t n);

/** @brief `y = max(x, 0)` over @a n floats (y may alias x). */
void lrp_relu(const float *x, float *y, size_t n);

/** @brief `y = min(max(x, lo), hi)` over @a n floats (y may alias x). */
void lrp_clip(const float *x, float lo, float hi, float *y, size_t n);

/** @brief `y = a + b` over @a n floats. */
void lrp_add(const float *a, const float *b, float *y, size_t n);

/** @brief Per-channel affine map `y[c][p] = scale[c] x[c][p] + shift[c]` (unfolded batch norm). */
void lrp_channel_affine(const float *x, const float *scale, const float *shift, int channels,
                        size_t spatial, float *y);

/** @brief Epsilon rule of the per-channel affine map: `rin = x * scale[c] * r / (z + eps*sign z)`
 ** with z = scale*x + shift (the stored layer output). */
void lrp_channel_affine_epsilon(const float *x, const float *scale, const float *z, const float *r,
                                float epsilon, int channels, size_t spatial, float *rin);

/** @brief Local response normalisation across channels (ONNX `LRN`):
 ** `y = x / (bias + alpha/size * sum of x^2 over channels c-floor((size-1)/2) .. c+ceil((size-1)/2))^beta`. */
void lrp_lrn_forward(const float *x, int channels, size_t spatial, int size, float alpha, float beta,
                     float bias, float *y);

/** @brief Constant spatial padding: `y[c]` of size (h+top+bottom) x (w+left+right) holds `x[c]`
 ** at offset (top, left) and @a value elsewhere. Pads must be non-negative. */
void lrp_pad2d(const float *x, int channels, int h, int w, int top, int left, int bottom, int right,
               float value, float *y);

/** @brief Relevance of a padding: crops `r[c]` (size (h+top+bottom) x (w+left+right)) to the
 ** `h x w` window at (top, left), dropping the relevance of padded positions. */
void lrp_crop2d(const float *r, int channels, int h, int w, int top, int left, int bottom, int right,
                float *rin);

/** @brief Geometry of 2-D max/average pooling (ONNX semantics incl. ceil_mode; output size given).
 ** Window (oh, ow) covers rows `oh*strideH - padTop + kh*dilationH`, kh < kernelH (likewise for
 ** columns); positions outside the input are padding. Average pooling divides by the number of
 ** real inputs of the window, or with @a countIncludePad by PyTorch's window size clipped to the
 ** padded input (dilations must then be 1). */
typedef struct LrpPoolGeometry {
  int channels, inHeight, inWidth, outHeight, outWidth;
  int kernelH, kernelW, strideH, strideW;
  int padTop, padLeft, padBottom, padRight;
  int dilationH, dilationW;
  int countIncludePad;
} LrpPoolGeometry;

/** @brief Check a pooling geometry (positive sizes, every window has at least one real input).
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT. */
int lrp_pool_check(const LrpPoolGeometry *g);

/** @brief Max pooling forward for channels `[channelBegin, channelEnd)`.
 ** @param x `float[channels][inHeight][inWidth]`; @param y `float[channels][outHeight][outWidth]`.
 ** @return ::LRP_OK, or ::LRP_E_ARGUMENT (geometry, channel range or NULL array). */
int lrp_maxpool_forward(const LrpPoolGeometry *g, const float *x, float *y, int channelBegin, int channelEnd);

/** @brief Average pooling forward for channels `[channelBegin, channelEnd)` (global average
 ** pooling is the window covering the whole map).
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT, as ::lrp_maxpool_forward. */
int lrp_avgpool_forward(const LrpPoolGeometry *g, const float *x, float *y, int channelBegin, int channelEnd);

/** @brief Max pooling, winner-take-all: each window's relevance goes to its first maximal input
 ** (scan order, as PyTorch's gradient). @a rin channels in range are overwritten.
 ** @param x input; @param r relevance `float[channels][outHeight][outWidth]`;
 ** @param rin input relevance `float[channels][inHeight][inWidth]`.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT, as ::lrp_maxpool_forward. */
int lrp_maxpool_backward_wta(const LrpPoolGeometry *g, const float *x, const float *r, float *rin,
                             int channelBegin, int channelEnd);

/** @brief Pooling explained proportionally to the inputs (zennit's `Norm`):
 ** `rin_i = x_i * sum_j r_j / (d_j * stab(z_j))` where for average pooling `z_j` is the window
 ** average and `d_j` its divisor, and with @a sumPooling (max pooling "proportional") `z_j` is
 ** the window sum and `d_j = 1`. Stabiliser with sign, sign(0) = +1.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT, as ::lrp_maxpool_forward. */
int lrp_pool_backward_proportional(const LrpPoolGeometry *g, const float *x, const float *r, float *rin,
                                   int sumPooling, float stabilizer, int channelBegin, int channelEnd);

/** @brief Pooling inside the cut-off region: each window's relevance spread uniformly over its
 ** real (non-padding) inputs, `rin_i = sum_j r_j / |W_j|`.
 ** @return ::LRP_OK or ::LRP_E_ARGUMENT, as ::lrp_maxpool_forward. */
int lrp_pool_backward_flat(const LrpPoolGeometry *g, const float *r, float *rin, int channelBegin, int channelEnd);

/* ====================================================================================== */
/* 3. Fisher vectors: dense SIFT, GMM posteriors and EM statistics, Fisher encoding and    */
/*    its relevance (called from Sources/FisherVectors)                                   */
/* ====================================================================================== */

/* --- 3.1 Gaussian smoothing (vl_imsmooth) ------------------------------------------ */

/** @brief Which VLFeat Gaussian kernel ::lrp_imsmooth reproduces.
 ** Both are sampled Gaussians normalised to unit sum, applied separably with padding by
 ** continuity (edge replication); they differ in truncation. */
typedef enum LrpSmoothKernel {
  LRP_SMOOTH_NONE = 0,        /**< no smoothing (copy) */
  LRP_SMOOTH_VL_IMSMOOTH_F = 1, /**< C `vl_imsmooth_f`: radius ceil(3σ), taps exp(-x²/2σ²) */
  LRP_SMOOTH_VL_MEX = 2       /**< MATLAB `vl_imsmooth` (what `vl_phow` calls): radius ceil(4σ),
                                   taps exp(-½((x)/(σ+FLT_EPSILON))²); σ < 0.01 is a copy */
} LrpSmoothKernel;

/** @brief Taps of the Gaussian that ::lrp_imsmooth applies (exactly VLFeat's float taps).
 ** @param sigma    standard deviation in pixels (>= 0).
 ** @param kernel   an ::LrpSmoothKernel.
 ** @param taps     out: 2*radius+1 floats, taps[radius + d] weights offset d (symmetric).
 ** @param capacity floats available in @a taps.
 ** @param radius   out: the radius (0 means the identity).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (bad sigma/kernel) or ::LRP_E_NOMEM (capacity too small). */
int lrp_gaussian_taps(double sigma, int kernel, float *taps, int capacity, int *radius);

/** @brief Bytes of workspace ::lrp_imsmooth needs for a width×height image and this Gaussian.
 ** @return the byte count, or 0 for a bad width, sigma or kernel. */
size_t lrp_imsmooth_workspace_size(int width, int height, double sigma, int kernel);

/** @brief Separable Gaussian smoothing of a grey image, as VLFeat's `vl_imsmooth_f` /
 ** MATLAB `vl_imsmooth` (see ::LrpSmoothKernel), padding by continuity.
 ** @param out      out: height×width floats, row-major (may not alias @a image).
 ** @param image    height×width floats, row-major.
 ** @param sigma    standard deviation in pixels (>= 0).
 ** @param kernel   an ::LrpSmoothKernel.
 ** @param workspace, workspaceSize  at least ::lrp_imsmooth_workspace_size bytes.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_imsmooth(float *out, const float *image, int width, int height, double sigma, int kernel,
                 void *workspace, size_t workspaceSize);

/* --- 3.2 Dense SIFT (vl_dsift geometry and layout) ------------------------------------ */

/** @brief Parameters of one dense-SIFT scale (VLFeat `vl_dsift` with 4×4 spatial bins and
 ** 8 orientations).
 **
 ** Geometry (identical to VLFeat's C API, 0-based pixel coordinates; VLFeat MATLAB adds 1):
 ** frames are sampled on the grid `fx = boundMinX + i·step`, `fy = boundMinY + j·step` of
 ** upper-left bin centres with `fx + 3·binSize <= boundMaxX`, `fy + 3·binSize <= boundMaxY`;
 ** the frame (descriptor centre) is `x = fx + 1.5·binSize`, `y = fy + 1.5·binSize`.
 ** Spatial bin (bx, by), bx, by ∈ 0..3, is centred at pixel
 ** `(x + (bx − 1.5)·binSize, y + (by − 1.5)·binSize)` = `(fx + bx·binSize, fy + by·binSize)`
 ** and pools gradients with bilinear (triangular) weights `(1 − |dx|/binSize)(1 − |dy|/binSize)`
 ** over the (2·binSize − 1)² pixels around that centre; in Gaussian-window mode the weights are
 ** further multiplied by a Gaussian of std `windowSize·binSize` centred on the descriptor
 ** centre, in flat-window ("fast") mode each bin is instead scaled by that Gaussian's mean
 ** over its support (VLFeat's approximation).
 ** Descriptor layout: `descr[t + 8·(bx + 4·by)]`, orientation bin t covers angle t·π/4 of the
 ** gradient (atan2(gy, gx) with y pointing down, VLFeat's fast atan2), linear interpolation
 ** between the two nearest orientations. Frames are ordered row by row (x fastest).
 ** (VLFeat MATLAB's vl_dsift works on the transposed image: its frames are 1-based and ordered
 ** column by column; its descriptors equal these to < 5e-5.)
 ** Deliberate difference: the bin filter is a direct convolution; VLFeat's flat window uses
 ** running sums in float, which perturbs near-empty descriptors (norm < 1e-3; see vendor-notes). */
typedef struct LrpDsiftParams {
  int binSize;          /**< pixels per spatial bin (>= 1) */
  int step;             /**< sampling step in pixels, both axes (>= 1) */
  int boundMinX;        /**< inclusive sampling bounds, 0-based; clamped to the image as the  */
  int boundMinY;        /**< MATLAB interface does (min >= 0, max <= size − 1). Use 0, 0,     */
  int boundMaxX;        /**< width − 1, height − 1 for the whole image (vl_dsift's default);  */
  int boundMaxY;        /**< vl_phow uses min = floor(1.5·(maxBinSize − binSize)).           */
  int flatWindow;       /**< 1: flat window ("fast", vl_phow's default); 0: Gaussian window */
  float windowSize;     /**< Gaussian window std in bins (vl_phow: 1.5; vl_dsift default: 2) */
  double contrastThreshold; /**< descriptors whose norm (frame value 4) is below this are set to
                                 0 (vl_phow: 0.005 on a [0,1] image, compared in double); 0 keeps all */
  int matlabScale;      /**< 1: descriptors as VLFeat MATLAB returns them, min(512·d, 255) as
                             floats; 0: the unit-norm floats of vl_dsift_get_descriptors */
  float smoothSigma;    /**< pre-smoothing std in pixels (vl_phow: binSize/6); 0 for none */
  int smoothKernel;     /**< ::LrpSmoothKernel for the pre-smoothing (vl_phow: LRP_SMOOTH_VL_MEX) */
} LrpDsiftParams;

/** @brief Number of frames one scale produces (0 if the image is smaller than a descriptor).
 ** @param numFramesX out (may be NULL): frames per row.
 ** @param numFramesY out (may be NULL): frame rows.
 ** @return the number of frames numFramesX·numFramesY, or ::LRP_E_ARGUMENT (negative) for bad
 **         parameters (binSize/step < 1, non-positive image size, unknown smoothing kernel). */
int lrp_dsift_num_frames(int width, int height, const LrpDsiftParams *params,
                         int *numFramesX, int *numFramesY);

/** @brief Bytes of workspace ::lrp_dsift_process needs for any call covering at most
 ** @a maxFrameRows frame rows of this image and parameters.
 ** @return the byte count, or 0 for parameters ::lrp_dsift_num_frames rejects or
 **         maxFrameRows < 1. */
size_t lrp_dsift_workspace_size(int width, int height, const LrpDsiftParams *params,
                                int maxFrameRows);

/** @brief Dense SIFT descriptors of the frame rows [frameRowBegin, frameRowEnd) of one scale.
 **
 ** Matches VLFeat's `vl_dsift_process` (gradients, fast atan2/sqrt, flat or Gaussian window,
 ** L2 normalisation, clamp at 0.2, renormalisation) on the row-major image; splitting the
 ** frame rows over several calls (threads) gives the same result as one call.
 ** @param image      height×width grey levels, row-major (vl_phow: [0,1]).
 ** @param params     the scale's parameters (see ::LrpDsiftParams).
 ** @param frameRowBegin, frameRowEnd  0 <= begin <= end <= numFramesY.
 ** @param descriptors out: (end−begin)·numFramesX × 128 floats, the frames of these rows in order.
 ** @param frames     out (may be NULL): (end−begin)·numFramesX × 4 floats per frame:
 **                   x, y (0-based centre), binSize, norm. `norm` is VLFeat's keypoint norm
 **                   (the descriptor mass before normalisation divided by (3·binSize+1)²), the
 **                   contrast vl_phow thresholds.
 ** @param workspace, workspaceSize  ::lrp_dsift_workspace_size(…, end − begin) bytes.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_dsift_process(const float *image, int width, int height, const LrpDsiftParams *params,
                      int frameRowBegin, int frameRowEnd,
                      float *descriptors, float *frames, void *workspace, size_t workspaceSize);

/* --- 3.3 GMM posteriors and EM statistics (diagonal covariances, VLFeat layout) ------- */
/* GMM layout (as VLFeat's vl_gmm): means K×D, covariances (variances σ²) K×D, priors K, all
 * row-major float; data N×D row-major float. */

/** @brief Bytes of workspace ::lrp_gmm_posteriors or ::lrp_gmm_posteriors_csr needs for
 ** @a numData rows.
 ** @return the byte count, or 0 for numData < 0, dimension < 1 or numClusters < 1. */
size_t lrp_gmm_posteriors_workspace_size(int numData, int dimension, int numClusters);

/** @brief Soft assignments q_nk = p(k | x_n) of a diagonal GMM, and the data log-likelihood.
 **
 ** Log-densities ℓ_k are first computed with SGEMM from the expansion
 ** ‖x−μ‖²_σ = x²·(1/σ²)ᵀ − 2x·(μ/σ²)ᵀ + const, together with a rigorous bound δ_k on their
 ** rounding error. Every component that can be within 16 nats of the best one (given δ) is
 ** recomputed exactly (in double, as (x−μ)²/σ²), so all posteriors above e^-16 ≈ 1.1e-7 of the
 ** largest have the accuracy of the direct formula (VLFeat's `vl_get_gmm_data_posteriors_f`
 ** computes them in float). Components between 16 and 25 nats below the best keep their SGEMM
 ** value (they are below any threshold ≥ 1e-6 and move the normalisation by < 1e-8); components
 ** further away get q = 0 (their true value is below 1e-10 of the largest). Components with
 ** prior < 1e-6 get q = 0 as in VLFeat. The threshold does not change which components are
 ** computed how, so it changes nothing but the zeroed values.
 ** @param posteriors   out: numData×numClusters floats, row-major (q of datum n in row n).
 ** @param logLikelihood out (may be NULL): Σ_n log p(x_n), in double.
 ** @param posteriorThreshold posteriors below this are set to 0 after normalisation (not
 **        renormalised): 1e-6 reproduces vl_fisher_encode, 1e-2/K VLFeat's M-step, 0 none.
 ** @param workspace, workspaceSize  ::lrp_gmm_posteriors_workspace_size bytes.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (sizes < 1, non-positive variance) or ::LRP_E_NOMEM. */
int lrp_gmm_posteriors(const float *data, int numData, int dimension,
                       const float *means, const float *covariances, const float *priors,
                       int numClusters, float posteriorThreshold,
                       float *posteriors, double *logLikelihood,
                       void *workspace, size_t workspaceSize);

/** @brief ::lrp_gmm_posteriors with the non-zero posteriors only, in compressed sparse rows
 ** (CSR): the entries of row n are `rowStart[n] ≤ e < rowStart[n+1]`, each a component
 ** `components[e]` (ascending within a row) and its posterior `values[e]` — exactly the non-zero
 ** entries ::lrp_gmm_posteriors writes. With a 1e-6 threshold a real GMM leaves about a dozen
 ** per row, 20× less memory traffic than the dense rows.
 ** The rows are processed in blocks of 256 until the next block might not fit (256·K
 ** entries): `*rowsDone` rows are complete (all of them when capacity ≥ numData·numClusters);
 ** call again from there for the rest. The result does not depend on the capacity.
 ** @param rowStart   out: numData + 1 ints; rowStart[0] = 0, rowStart[n+1] for n < *rowsDone.
 ** @param components, values  out: room for @a capacity entries each.
 ** @param capacity   entries that fit: at least min(numData, 256)·numClusters.
 ** @param rowsDone   out: rows completed.
 ** @param entries    out: entries written (= rowStart[*rowsDone]).
 ** @param logLikelihood out (may be NULL): Σ over the completed rows of log p(x_n).
 ** @param workspace, workspaceSize  ::lrp_gmm_posteriors_workspace_size bytes.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (as ::lrp_gmm_posteriors, or too small a capacity) or
 **         ::LRP_E_NOMEM. */
int lrp_gmm_posteriors_csr(const float *data, int numData, int dimension,
                           const float *means, const float *covariances, const float *priors,
                           int numClusters, float posteriorThreshold,
                           int32_t *rowStart, int32_t *components, float *values, size_t capacity,
                           int *rowsDone, size_t *entries, double *logLikelihood,
                           void *workspace, size_t workspaceSize);

/** @brief Bytes of workspace ::lrp_gmm_em_statistics needs for @a numData rows.
 ** @return the byte count, or 0 for numData < 0, dimension < 1 or numClusters < 1. */
size_t lrp_gmm_em_statistics_workspace_size(int numData, int dimension, int numClusters);

/** @brief EM sufficient statistics, ADDED to the caller's double accumulators:
 ** mass[k] += Σ_n q_nk, sumX[k·D+i] += Σ_n q_nk x_ni, sumX2[k·D+i] += Σ_n q_nk x_ni².
 ** (SGEMM Qᵀ·X and Qᵀ·X² over blocks of rows, each block added in double.) Zero the
 ** accumulators before the first call; split the rows over threads with one set each.
 ** M-step: μ = sumX/mass, σ² = sumX2/mass − μ², π = mass/Σmass (in double).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_gmm_em_statistics(const float *data, int numData, int dimension,
                          const float *posteriors, int numClusters,
                          double *mass, double *sumX, double *sumX2,
                          void *workspace, size_t workspaceSize);

/* --- 3.4 Improved Fisher vectors per spatial-pyramid cell ----------------------------- */
/* FV layout (VLFeat's): 2·K·D floats per cell, first the K mean blocks u_k (D each), then the
 * K variance blocks v_k. For descriptor l, component k, dimension i (σ = sqrt(covariance)):
 *   z_l,(k,i,mean) = q_lk (x_li − μ_ki) / (σ_ki √π_k)
 *   z_l,(k,i,var)  = q_lk ((x_li − μ_ki)²/σ²_ki − 1) / √(2π_k)
 * A cell's sum-pooled statistics are z_d = Σ_{l in cell} z_l,d (no 1/N): docs/DESIGN.md §4's scale.
 * VLFeat's improved FV of the cell = L2(signed-sqrt(z / N_cell)).
 * Cell membership: `cells` is numData×cellsPerDescriptor int32, row l lists the cells
 * (0..numCells−1, e.g. one per pyramid level) that descriptor l falls into; −1 = none. */

/** @brief Algorithm choice for the Fisher kernels (results agree to float rounding). */
typedef enum LrpFisherAlgorithm {
  LRP_FISHER_AUTO = 0,   /**< the sparse form (fastest for real GMMs; statistics and relevance
                              then agree term by term, which matters for large ratios, ε → 0) */
  LRP_FISHER_SPARSE = 1, /**< loop over non-zero q_lk only, direct (x−μ) form (VLFeat's) */
  LRP_FISHER_GEMM = 2    /**< SGEMM with Qᵀ·X, Qᵀ·X² per cell (expanded form) */
} LrpFisherAlgorithm;

/** @brief Bytes of workspace ::lrp_fisher_cell_statistics (dense or CSR, any algorithm) needs.
 ** @return the byte count, or 0 for numData < 0 or a size below 1. */
size_t lrp_fisher_workspace_size(int numData, int dimension, int numClusters, int numCells);

/** @brief Sum-pooled (unnormalised) Fisher statistics z_d of each cell, for the components
 ** [clusterBegin, clusterEnd) only (threads split the components; disjoint outputs).
 ** @param data        numData×dimension descriptors (PCA-projected).
 ** @param posteriors  numData×numClusters q_lk (from ::lrp_gmm_posteriors with threshold 1e-6
 **                    to match vl_fisher_encode); zeros are skipped.
 ** @param cells, cellsPerDescriptor, numCells  cell membership (see above).
 ** @param stats       out: numCells × 2·K·D floats; this call overwrites the entries of
 **                    components [clusterBegin, clusterEnd) of every cell (mean and variance).
 ** @param counts      out (may be NULL): numCells ints, descriptors per cell (N_cell); written
 **                    only when clusterBegin == 0.
 ** @param algorithm   an ::LrpFisherAlgorithm.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (sizes, a cell index >= numCells) or ::LRP_E_NOMEM. */
int lrp_fisher_cell_statistics(const float *data, int numData, int dimension,
                               const float *means, const float *covariances, const float *priors,
                               int numClusters, const float *posteriors,
                               const int32_t *cells, int cellsPerDescriptor, int numCells,
                               int clusterBegin, int clusterEnd, int algorithm,
                               float *stats, int32_t *counts, void *workspace, size_t workspaceSize);

/** @brief ::lrp_fisher_cell_statistics (sparse algorithm) with the posteriors in compressed
 ** sparse rows, as ::lrp_gmm_posteriors_csr writes them; gives bit-identical results to the
 ** dense call on the same posteriors. Workspace: ::lrp_fisher_workspace_size.
 ** @param rowStart    numData + 1 offsets (rowStart[0] = 0, non-decreasing).
 ** @param components, values  rowStart[numData] entries: component (0..K−1) and q_lk of each;
 **                    zeros are skipped.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT (sizes, a cell index >= numCells, a malformed table) or
 **         ::LRP_E_NOMEM. */
int lrp_fisher_cell_statistics_csr(const float *data, int numData, int dimension,
                                   const float *means, const float *covariances, const float *priors,
                                   int numClusters, const int32_t *rowStart, const int32_t *components,
                                   const float *values, const int32_t *cells, int cellsPerDescriptor,
                                   int numCells, int clusterBegin, int clusterEnd,
                                   float *stats, int32_t *counts, void *workspace, size_t workspaceSize);

/** @brief Improved Fisher vector from sum-pooled statistics, in place:
 ** v ← z / count, v ← sign(v)·sqrt|v|, v ← v / max(‖v‖₂, 1e-12) (VLFeat's
 ** VL_FISHER_FLAG_IMPROVED). A cell with count 0 becomes all zeros.
 ** @param vector  2·K·D floats (one cell of ::lrp_fisher_cell_statistics).
 ** @param length  2·K·D.
 ** @param count   N_cell.
 ** A NULL @a vector or length <= 0 does nothing. */
void lrp_fisher_normalize(float *vector, int length, int count);

/* --- 3.5 Fisher relevance (docs/DESIGN.md §4), without N×2KD arrays ---------------------------- */

/** @brief Bytes of workspace ::lrp_fisher_relevance (dense or CSR, any algorithm) needs.
 ** @return the byte count, or 0 for numData < 0 or a size below 1. */
size_t lrp_fisher_relevance_workspace_size(int numData, int dimension, int numClusters,
                                           int numCells);

/** @brief Per-descriptor, per-dimension relevance
 ** R_li = Σ_{cells c ∋ l} Σ_k [ z_l,(k,i,mean) · s_c,(k,i,mean) + z_l,(k,i,var) · s_c,(k,i,var) ]
 ** for the descriptors [dataBegin, dataEnd) (threads split the descriptors).
 ** @param data, posteriors, cells  as for ::lrp_fisher_cell_statistics (whole arrays; only the
 **                    rows [dataBegin, dataEnd) are read).
 ** @param ratios      numCells × 2·K·D floats s_c,d = R_c,d / (z_c,d + ε·sign z_c,d) in the FV
 **                    layout (computed by the caller).
 ** @param relevance   out: (dataEnd − dataBegin) × dimension floats R_li for these rows.
 **                    R_l = Σ_i R_li; Σ_l R_l = Σ_c Σ_d z_c,d s_c,d.
 ** @param algorithm   an ::LrpFisherAlgorithm (the GEMM form expands the variance term as
 **                    x²·(Q A) − 2x·(Q B) + Q C).
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_fisher_relevance(const float *data, int numData, int dimension,
                         const float *means, const float *covariances, const float *priors,
                         int numClusters, const float *posteriors,
                         const int32_t *cells, int cellsPerDescriptor, int numCells,
                         const float *ratios, int dataBegin, int dataEnd, int algorithm,
                         float *relevance, void *workspace, size_t workspaceSize);

/** @brief ::lrp_fisher_relevance (sparse algorithm) with the posteriors in compressed sparse
 ** rows (see ::lrp_fisher_cell_statistics_csr); bit-identical to the dense call on the same
 ** posteriors. Workspace: ::lrp_fisher_relevance_workspace_size.
 ** @return ::LRP_OK, ::LRP_E_ARGUMENT or ::LRP_E_NOMEM. */
int lrp_fisher_relevance_csr(const float *data, int numData, int dimension,
                             const float *means, const float *covariances, const float *priors,
                             int numClusters, const int32_t *rowStart, const int32_t *components,
                             const float *values, const int32_t *cells, int cellsPerDescriptor, int numCells,
                             const float *ratios, int dataBegin, int dataEnd,
                             float *relevance, void *workspace, size_t workspaceSize);

/* -------------------------------------------------------------------------------------- */
/* 3.h Half-precision storage (CKernels/src/half.c). Training keeps                       */
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
