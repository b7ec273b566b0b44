/* JPEG and PNG decoding, PNG encoding (lrpkernels.h §1).
 *
 * libjpeg's default error handler calls exit(); we install one that longjmps back to the
 * caller with the library's message, so a corrupt file is an error code, never a dead process.
 * libpng gets the same treatment through png_jmpbuf. */
#include <stdio.h> /* jpeglib.h needs FILE and size_t first */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include "lrpkernels.h"

static void set_message(char *message, size_t capacity, const char *text) {
  if (message && capacity > 0) {
    strncpy(message, text, capacity - 1);
    message[capacity - 1] = '\0';
  }
}

static int is_jpeg(const uint8_t *d, size_t n) { return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF; }
static int is_png(const uint8_t *d, size_t n) { return n >= 8 && png_sig_cmp((png_const_bytep)d, 0, 8) == 0; }

/* ---------------------------------------------------------------- JPEG ---------------- */

typedef struct JpegErrorManager {
  struct jpeg_error_mgr base;
  jmp_buf escape;
  char text[JMSG_LENGTH_MAX];
} JpegErrorManager;

static void jpeg_error_exit_longjmp(j_common_ptr info) {
  JpegErrorManager *err = (JpegErrorManager *)info->err;
  (*info->err->format_message)(info, err->text);
  longjmp(err->escape, 1);
}

/* Corrupt-data warnings (e.g. premature end of data) are errors for us: a half-grey picture
 * explained as if it were the photograph would mislead the user. */
static void jpeg_emit_message_strict(j_common_ptr info, int level) {
  if (level < 0) jpeg_error_exit_longjmp(info);
}

/* ---------------------------------------------------------------- box reduction ------- */

/* Rows of 8-bit interleaved pixels go in one at a time; every boxX×boxY block becomes one output
 * pixel, the rounded mean of the samples it covers (blocks at the right and bottom edges cover
 * fewer). Only one output row of 64-bit sums is held, so memory does not grow with the height. */
typedef struct BoxReducer {
  int inW, inH, c, kx, ky, outW;
  uint64_t *acc;      /* outW*c sums of the current block row */
  uint8_t *out;       /* outW*outH*c bytes */
  int y;              /* input rows pushed so far */
} BoxReducer;

static int box_dim(int n, int k) { return (n + k - 1) / k; }

static int box_init(BoxReducer *b, int inW, int inH, int c, int kx, int ky, uint8_t *out) {
  b->inW = inW; b->inH = inH; b->c = c; b->kx = kx; b->ky = ky;
  b->outW = box_dim(inW, kx);
  b->out = out;
  b->y = 0;
  b->acc = (uint64_t *)calloc((size_t)b->outW * (size_t)c, sizeof(uint64_t));
  return b->acc ? LRP_OK : LRP_E_NOMEM;
}

static void box_push(BoxReducer *b, const uint8_t *row) {
  const int c = b->c, kx = b->kx;
  if (kx == 1 && b->ky == 1) {
    /* no reduction (every ordinary photograph): the row as it is, without 64-bit sums and divisions */
    memcpy(b->out + (size_t)b->y * (size_t)b->inW * (size_t)c, row, (size_t)b->inW * (size_t)c);
    b->y++;
    return;
  }
  for (int x = 0; x < b->inW; x++) {
    uint64_t *a = b->acc + (size_t)(x / kx) * c;
    for (int k = 0; k < c; k++) a[k] += row[(size_t)x * c + k];
  }
  b->y++;
  if (b->y % b->ky != 0 && b->y != b->inH) return;
  int rows = b->y % b->ky == 0 ? b->ky : b->y % b->ky;
  uint8_t *dst = b->out + (size_t)((b->y - 1) / b->ky) * (size_t)b->outW * c;
  for (int ox = 0; ox < b->outW; ox++) {
    int cols = (ox + 1) * kx <= b->inW ? kx : b->inW - ox * kx;
    uint64_t n = (uint64_t)rows * (uint64_t)cols;
    for (int k = 0; k < c; k++) {
      size_t i = (size_t)ox * c + k;
      dst[i] = (uint8_t)((b->acc[i] + n / 2) / n);
      b->acc[i] = 0;
    }
  }
}

/* Pillow's CMYK -> RGB (Convert.c cmyk2rgb) on libjpeg's Adobe-inverted CMYK, which Pillow reads
 * as "CMYK;I": C = 255 - raw C, K = 255 - raw K, R = (255 - K) - C·(255 - K)/255 rounded. */
static void cmyk_inverted_to_rgb(uint8_t *dst, const uint8_t *src, int width) {
  for (int x = 0; x < width; x++) {
    int nk = src[4 * x + 3];
    for (int k = 0; k < 3; k++) {
      int t = (255 - src[4 * x + k]) * nk + 128;
      dst[3 * x + k] = (uint8_t)(nk - (((t >> 8) + t) >> 8));
    }
  }
}

/* ---------------------------------------------------------------- JPEG (decode) -------- */

/* Reads the header; leaves cinfo ready for jpeg_start_decompress. out_color_space is set to
 * grey, RGB or CMYK (CMYK and YCCK files, converted to RGB per row). Returns LRP_OK or an error
 * (the caller destroys cinfo). */
static int jpeg_open(struct jpeg_decompress_struct *cinfo, const uint8_t *data, size_t size,
                     char *message, size_t cap) {
  jpeg_mem_src(cinfo, (unsigned char *)data, (unsigned long)size);
  jpeg_read_header(cinfo, TRUE);
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_RGB:
    case JCS_YCbCr: cinfo->out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default:
      set_message(message, cap, "unsupported JPEG colour space (only grey, RGB, YCbCr, CMYK and YCCK)");
      return LRP_E_UNSUPPORTED;
  }
  return LRP_OK;
}

#define LRP_JPEG_MAX_MEMORY (384L * 1024 * 1024)

/* Decodes with DCT scaling 1/scaleDenom and box reduction (pixels != NULL), or only reports
 * the header size (info != 0) or the reduced size (pixels == NULL): one setjmp frame for all. */
static int jpeg_run(const uint8_t *data, size_t size, int info, int scaleDenom, int kx, int ky,
                    int *w, int *h, int *c, uint8_t *pixels, size_t capacity, char *message, size_t cap) {
  struct jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  /* volatile: modified after setjmp and read after a longjmp */
  uint8_t *volatile row = NULL;
  uint64_t *volatile acc = NULL;
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_error_exit_longjmp;
  err.base.emit_message = jpeg_emit_message_strict;
  jpeg_create_decompress(&cinfo);
  /* progressive files keep every DCT coefficient: bounded, beyond it libjpeg fails (no backing store) */
  cinfo.mem->max_memory_to_use = LRP_JPEG_MAX_MEMORY;
  if (setjmp(err.escape)) {
    int tooBig = err.base.msg_code == JERR_NO_BACKING_STORE;
    set_message(message, cap, tooBig ? "JPEG needs more than 384 MB of decoder memory (a huge progressive file)" : err.text);
    free(row);
    free(acc);
    jpeg_destroy_decompress(&cinfo);
    return tooBig ? LRP_E_UNSUPPORTED : LRP_E_DECODE;
  }
  int status = jpeg_open(&cinfo, data, size, message, cap);
  if (status != LRP_OK) { jpeg_destroy_decompress(&cinfo); return status; }
  int channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
  if (info) {
    *w = (int)cinfo.image_width;
    *h = (int)cinfo.image_height;
    *c = channels;
    jpeg_destroy_decompress(&cinfo);
    return LRP_OK;
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = (unsigned int)scaleDenom;
  jpeg_calc_output_dimensions(&cinfo);
  int inW = (int)cinfo.output_width, inH = (int)cinfo.output_height;
  int outW = box_dim(inW, kx), outH = box_dim(inH, ky);
  if (w) *w = outW;
  if (h) *h = outH;
  if (c) *c = channels;
  if (!pixels) { jpeg_destroy_decompress(&cinfo); return LRP_OK; }
  if ((size_t)outW * (size_t)outH * (size_t)channels > capacity) {
    set_message(message, cap, "output buffer too small for the decoded image");
    jpeg_destroy_decompress(&cinfo);
    return LRP_E_NOMEM;
  }
  jpeg_start_decompress(&cinfo);
  int raw = cinfo.output_components; /* 1, 3 or 4 (CMYK) */
  BoxReducer box;
  if (box_init(&box, inW, inH, channels, kx, ky, pixels) != LRP_OK) {
    set_message(message, cap, "out of memory");
    jpeg_destroy_decompress(&cinfo);
    return LRP_E_NOMEM;
  }
  acc = box.acc;
  row = (uint8_t *)malloc((size_t)inW * (size_t)(raw + channels));
  if (!row) {
    free(acc);
    set_message(message, cap, "out of memory");
    jpeg_destroy_decompress(&cinfo);
    return LRP_E_NOMEM;
  }
  uint8_t *rgb = row + (size_t)inW * raw;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW r = row;
    jpeg_read_scanlines(&cinfo, &r, 1);
    if (raw == 4) {
      cmyk_inverted_to_rgb(rgb, row, inW);
      box_push(&box, rgb);
    } else {
      box_push(&box, row);
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  free(row);
  free(acc);
  return LRP_OK;
}

/* ---------------------------------------------------------------- PNG ----------------- */

typedef struct PngReader {
  const uint8_t *data;
  size_t size, offset;
} PngReader;

static void png_read_from_memory(png_structp png, png_bytep out, png_size_t count) {
  PngReader *r = (PngReader *)png_get_io_ptr(png);
  if (r->offset + count > r->size) png_error(png, "truncated PNG data");
  memcpy(out, r->data + r->offset, count);
  r->offset += count;
}

typedef struct PngErrorText { char text[256]; } PngErrorText;

static void png_error_to_text(png_structp png, png_const_charp msg) {
  PngErrorText *t = (PngErrorText *)png_get_error_ptr(png);
  if (t) {
    strncpy(t->text, msg, sizeof t->text - 1);
    t->text[sizeof t->text - 1] = '\0';
  }
  png_longjmp(png, 1);
}
static void png_warning_ignore(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

/* Largest whole image an interlaced PNG may be held as while it is box-reduced (Adam7 rows only
 * become complete after the last pass). */
#define LRP_PNG_INTERLACED_MAX_BYTES ((size_t)1 << 28)

/* Decodes row by row with box reduction (pixels != NULL), or only inspects the PNG (info: header
 * size; else the reduced size). Transformations: palette -> RGB, grey below 8 bits -> 8 bits,
 * 16 bits -> 8, alpha stripped, grey+alpha -> grey. */
static int png_run(const uint8_t *data, size_t size, int info, int kx, int ky, int *w, int *h, int *c,
                   uint8_t *pixels, size_t capacity, char *message, size_t cap) {
  PngErrorText errText = {{0}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errText, png_error_to_text,
                                           png_warning_ignore);
  if (!png) { set_message(message, cap, "cannot create PNG reader"); return LRP_E_DECODE; }
  png_infop pinfo = png_create_info_struct(png);
  /* volatile: modified after setjmp and freed after a longjmp */
  uint8_t *volatile whole = NULL;
  uint64_t *volatile acc = NULL;
  if (!pinfo) {
    png_destroy_read_struct(&png, NULL, NULL);
    set_message(message, cap, "cannot create PNG info");
    return LRP_E_DECODE;
  }
  PngReader reader = {data, size, 0};
  if (setjmp(png_jmpbuf(png))) {
    set_message(message, cap, errText.text[0] ? errText.text : "corrupt PNG");
    free(whole);
    free(acc);
    png_destroy_read_struct(&png, &pinfo, NULL);
    return LRP_E_DECODE;
  }
  png_set_read_fn(png, &reader, png_read_from_memory);
  png_read_info(png, pinfo);
  int colorType = png_get_color_type(png, pinfo);
  int bitDepth = png_get_bit_depth(png, pinfo);
  if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (colorType == PNG_COLOR_TYPE_GRAY && bitDepth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bitDepth == 16) png_set_strip_16(png);
  if (colorType & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  png_set_strip_alpha(png); /* tRNS-expanded alpha, if any */
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, pinfo);
  int width = (int)png_get_image_width(png, pinfo);
  int height = (int)png_get_image_height(png, pinfo);
  int channels = (int)png_get_channels(png, pinfo);
  if (channels != 1 && channels != 3) {
    set_message(message, cap, "unsupported PNG channel layout");
    png_destroy_read_struct(&png, &pinfo, NULL);
    return LRP_E_UNSUPPORTED;
  }
  int outW = info ? width : box_dim(width, kx), outH = info ? height : box_dim(height, ky);
  if (w) *w = outW;
  if (h) *h = outH;
  if (c) *c = channels;
  if (pixels) {
    size_t stride = png_get_rowbytes(png, pinfo);
    if (stride != (size_t)width * (size_t)channels || (size_t)outW * (size_t)outH * (size_t)channels > capacity) {
      set_message(message, cap, "output buffer too small for the decoded image");
      png_destroy_read_struct(&png, &pinfo, NULL);
      return LRP_E_NOMEM;
    }
    BoxReducer box;
    if (box_init(&box, width, height, channels, kx, ky, pixels) != LRP_OK) {
      set_message(message, cap, "out of memory");
      png_destroy_read_struct(&png, &pinfo, NULL);
      return LRP_E_NOMEM;
    }
    acc = box.acc;
    if (passes > 1) {
      /* Adam7: the whole image is needed before any row is final */
      if (stride * (size_t)height > LRP_PNG_INTERLACED_MAX_BYTES) {
        set_message(message, cap, "interlaced PNG too large to decode (save it without interlacing)");
        free(acc);
        png_destroy_read_struct(&png, &pinfo, NULL);
        return LRP_E_UNSUPPORTED;
      }
      whole = (uint8_t *)calloc(stride * (size_t)height, 1);
    } else {
      whole = (uint8_t *)malloc(stride);
    }
    if (!whole) {
      free(acc);
      set_message(message, cap, "out of memory");
      png_destroy_read_struct(&png, &pinfo, NULL);
      return LRP_E_NOMEM;
    }
    if (passes > 1) {
      for (int p = 0; p < passes; p++)
        for (int y = 0; y < height; y++) png_read_row(png, whole + stride * (size_t)y, NULL);
      for (int y = 0; y < height; y++) box_push(&box, whole + stride * (size_t)y);
    } else {
      for (int y = 0; y < height; y++) {
        png_read_row(png, whole, NULL);
        box_push(&box, whole);
      }
    }
    png_read_end(png, NULL);
    free(whole);
    whole = NULL;
    free(acc);
    acc = NULL;
  }
  png_destroy_read_struct(&png, &pinfo, NULL);
  return LRP_OK;
}

/* ---------------------------------------------------------------- public --------------- */

int lrp_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels,
                   char *message, size_t messageCapacity) {
  if (!data || !width || !height || !channels) return LRP_E_ARGUMENT;
  if (is_jpeg(data, size)) return jpeg_run(data, size, 1, 1, 1, 1, width, height, channels, NULL, 0, message, messageCapacity);
  if (is_png(data, size)) return png_run(data, size, 1, 1, 1, width, height, channels, NULL, 0, message, messageCapacity);
  set_message(message, messageCapacity, size == 0 ? "empty file" : "not a JPEG or PNG image");
  return size == 0 ? LRP_E_DECODE : LRP_E_UNSUPPORTED;
}

int lrp_image_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity,
                     char *message, size_t messageCapacity) {
  if (!pixels) return LRP_E_ARGUMENT;
  return lrp_image_decode_reduced(data, size, 1, 1, 1, pixels, capacity, NULL, NULL, NULL, message,
                                  messageCapacity);
}

int lrp_image_decode_reduced(const uint8_t *data, size_t size, int scaleDenom, int boxX, int boxY,
                             uint8_t *pixels, size_t capacity, int *width, int *height, int *channels,
                             char *message, size_t messageCapacity) {
  if (!data || boxX < 1 || boxY < 1 || (scaleDenom != 1 && scaleDenom != 2 && scaleDenom != 4 && scaleDenom != 8))
    return LRP_E_ARGUMENT;
  if (!pixels && (!width || !height || !channels)) return LRP_E_ARGUMENT;
  if (is_jpeg(data, size))
    return jpeg_run(data, size, 0, scaleDenom, boxX, boxY, width, height, channels, pixels, capacity, message, messageCapacity);
  if (is_png(data, size))
    return png_run(data, size, 0, boxX, boxY, width, height, channels, pixels, capacity, message, messageCapacity);
  set_message(message, messageCapacity, size == 0 ? "empty file" : "not a JPEG or PNG image");
  return size == 0 ? LRP_E_DECODE : LRP_E_UNSUPPORTED;
}

int lrp_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels,
                  int level, int subFilter, char *message, size_t messageCapacity) {
  if (!path || !pixels || width <= 0 || height <= 0 || level < 0 || level > 9) return LRP_E_ARGUMENT;
  int colorType;
  switch (channels) {
    case 1: colorType = PNG_COLOR_TYPE_GRAY; break;
    case 3: colorType = PNG_COLOR_TYPE_RGB; break;
    case 4: colorType = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default: set_message(message, messageCapacity, "PNG needs 1, 3 or 4 channels"); return LRP_E_ARGUMENT;
  }
  FILE *f = fopen(path, "wb");
  if (!f) { set_message(message, messageCapacity, "cannot open the PNG file for writing"); return LRP_E_IO; }
  /* a few large writes instead of one per 4 KB (an uncompressed 224x224 RGBA file is 200 KB) */
  setvbuf(f, NULL, _IOFBF, (size_t)1 << 16);
  PngErrorText errText = {{0}};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errText, png_error_to_text,
                                            png_warning_ignore);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    if (png) png_destroy_write_struct(&png, NULL);
    fclose(f);
    set_message(message, messageCapacity, "cannot create PNG writer");
    return LRP_E_IO;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    set_message(message, messageCapacity, errText.text[0] ? errText.text : "PNG write failed");
    return LRP_E_IO;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, colorType, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  /* Speed over size (the caller picks per content, lrpkernels.h): level 1 or 0 with one fixed
   * filter is several times faster than libpng's defaults (level 6, adaptive filtering). */
  png_set_compression_level(png, level);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, subFilter ? PNG_FILTER_SUB : PNG_FILTER_NONE);
  png_set_compression_buffer_size(png, (size_t)1 << 16);
  png_write_info(png, info);
  size_t stride = (size_t)width * (size_t)channels;
  for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + stride * (size_t)y));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  if (fclose(f) != 0) {
    set_message(message, messageCapacity, "error closing the PNG file");
    return LRP_E_IO;
  }
  return LRP_OK;
}
