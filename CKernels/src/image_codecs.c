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

/* Reads the header; leaves cinfo ready for jpeg_start_decompress. out_color_space is set to
 * grey or RGB. Returns LRP_OK or an error (the caller destroys cinfo). */
static int jpeg_open(struct jpeg_decompress_struct *cinfo, const uint8_t *data, size_t size,
                     char *message, size_t cap) {
  jpeg_mem_src(cinfo, (unsigned char *)data, (unsigned long)size);
  jpeg_read_header(cinfo, TRUE);
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_RGB:
    case JCS_YCbCr: cinfo->out_color_space = JCS_RGB; break;
    default:
      set_message(message, cap, "unsupported JPEG colour space (only grey, RGB and YCbCr)");
      return LRP_E_UNSUPPORTED;
  }
  return LRP_OK;
}

/* Decodes (pixels != NULL) or only inspects the JPEG (w, h, c may be NULL when decoding), as
 * png_run does for PNG: one setjmp frame for both. */
static int jpeg_run(const uint8_t *data, size_t size, int *w, int *h, int *c, uint8_t *pixels, size_t capacity,
                    char *message, size_t cap) {
  struct jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_error_exit_longjmp;
  err.base.emit_message = jpeg_emit_message_strict;
  jpeg_create_decompress(&cinfo);
  if (setjmp(err.escape)) {
    set_message(message, cap, err.text);
    jpeg_destroy_decompress(&cinfo);
    return LRP_E_DECODE;
  }
  int status = jpeg_open(&cinfo, data, size, message, cap);
  if (status != LRP_OK || !pixels) {
    if (status == LRP_OK) {
      *w = (int)cinfo.image_width;
      *h = (int)cinfo.image_height;
      *c = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    }
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
  if (stride * cinfo.output_height > capacity) {
    set_message(message, cap, "output buffer too small for the decoded image");
    jpeg_destroy_decompress(&cinfo);
    return LRP_E_NOMEM;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
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

/* Decodes (pixels != NULL) or only inspects the PNG. Transformations: palette -> RGB, grey
 * below 8 bits -> 8 bits, 16 bits -> 8, alpha stripped, grey+alpha -> grey. */
static int png_run(const uint8_t *data, size_t size, int *w, int *h, int *c, uint8_t *pixels,
                   size_t capacity, char *message, size_t cap) {
  PngErrorText errText = {{0}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errText, png_error_to_text,
                                           png_warning_ignore);
  if (!png) { set_message(message, cap, "cannot create PNG reader"); return LRP_E_DECODE; }
  png_infop info = png_create_info_struct(png);
  png_bytep *volatile rows = NULL; /* volatile: set after setjmp, freed after a longjmp (else leaked) */
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    set_message(message, cap, "cannot create PNG info");
    return LRP_E_DECODE;
  }
  PngReader reader = {data, size, 0};
  if (setjmp(png_jmpbuf(png))) {
    set_message(message, cap, errText.text[0] ? errText.text : "corrupt PNG");
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return LRP_E_DECODE;
  }
  png_set_read_fn(png, &reader, png_read_from_memory);
  png_read_info(png, info);
  int colorType = png_get_color_type(png, info);
  int bitDepth = png_get_bit_depth(png, info);
  if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (colorType == PNG_COLOR_TYPE_GRAY && bitDepth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bitDepth == 16) png_set_strip_16(png);
  if (colorType & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  png_set_strip_alpha(png); /* tRNS-expanded alpha, if any */
  png_read_update_info(png, info);
  int width = (int)png_get_image_width(png, info);
  int height = (int)png_get_image_height(png, info);
  int channels = (int)png_get_channels(png, info);
  if (channels != 1 && channels != 3) {
    set_message(message, cap, "unsupported PNG channel layout");
    png_destroy_read_struct(&png, &info, NULL);
    return LRP_E_UNSUPPORTED;
  }
  if (w) *w = width;
  if (h) *h = height;
  if (c) *c = channels;
  if (pixels) {
    size_t stride = png_get_rowbytes(png, info);
    if (stride != (size_t)width * (size_t)channels || stride * (size_t)height > capacity) {
      set_message(message, cap, "output buffer too small for the decoded image");
      png_destroy_read_struct(&png, &info, NULL);
      return LRP_E_NOMEM;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) {
      png_destroy_read_struct(&png, &info, NULL);
      return LRP_E_NOMEM;
    }
    for (int y = 0; y < height; y++) rows[y] = pixels + stride * (size_t)y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    rows = NULL;
  }
  png_destroy_read_struct(&png, &info, NULL);
  return LRP_OK;
}

/* ---------------------------------------------------------------- public --------------- */

int lrp_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels,
                   char *message, size_t messageCapacity) {
  if (!data || !width || !height || !channels) return LRP_E_ARGUMENT;
  if (is_jpeg(data, size)) return jpeg_run(data, size, width, height, channels, NULL, 0, message, messageCapacity);
  if (is_png(data, size)) return png_run(data, size, width, height, channels, NULL, 0, message, messageCapacity);
  set_message(message, messageCapacity, size == 0 ? "empty file" : "not a JPEG or PNG image");
  return size == 0 ? LRP_E_DECODE : LRP_E_UNSUPPORTED;
}

int lrp_image_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity,
                     char *message, size_t messageCapacity) {
  if (!data || !pixels) return LRP_E_ARGUMENT;
  if (is_jpeg(data, size)) return jpeg_run(data, size, NULL, NULL, NULL, pixels, capacity, message, messageCapacity);
  if (is_png(data, size)) return png_run(data, size, NULL, NULL, NULL, pixels, capacity, message, messageCapacity);
  set_message(message, messageCapacity, size == 0 ? "empty file" : "not a JPEG or PNG image");
  return size == 0 ? LRP_E_DECODE : LRP_E_UNSUPPORTED;
}

int lrp_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels,
                  char *message, size_t messageCapacity) {
  if (!path || !pixels || width <= 0 || height <= 0) return LRP_E_ARGUMENT;
  int colorType;
  switch (channels) {
    case 1: colorType = PNG_COLOR_TYPE_GRAY; break;
    case 3: colorType = PNG_COLOR_TYPE_RGB; break;
    case 4: colorType = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default: set_message(message, messageCapacity, "PNG needs 1, 3 or 4 channels"); return LRP_E_ARGUMENT;
  }
  FILE *f = fopen(path, "wb");
  if (!f) { set_message(message, messageCapacity, "cannot open the PNG file for writing"); return LRP_E_IO; }
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
