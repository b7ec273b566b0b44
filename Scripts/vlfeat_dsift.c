/* vlfeat_dsift: VLFeat's own dense SIFT on a grey image, for Scripts/check_sift_against_vlfeat.py.
 *
 *   gcc -O2 -o vlfeat_dsift Scripts/vlfeat_dsift.c -lvl -lm
 *   vlfeat_dsift GREY.f32 WIDTH HEIGHT BIN_SIZE STEP FAST WINDOW_SIZE DESCR.f32 FRAMES.f32
 *
 * GREY.f32: row-major float32 grey levels in [0,1]. Writes N×128 float32 descriptors on the VLFeat
 * MATLAB scale min(512·d, 255) in the C API's layout (the one `lrp-fv sift` documents) and N×4
 * float32 frames (x, y 0-based, bin size, norm). Prints N. Nothing of the project is linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <vl/dsift.h>

static int fail(const char *what) { fprintf(stderr, "error: %s\n", what); return 1; }

int main(int argc, char **argv) {
    if (argc != 10) return fail("usage: vlfeat_dsift GREY.f32 W H BIN STEP FAST(0/1) WINDOW DESCR.f32 FRAMES.f32");
    int w = atoi(argv[2]), h = atoi(argv[3]), bin = atoi(argv[4]), step = atoi(argv[5]), fast = atoi(argv[6]);
    double window = atof(argv[7]);
    float *grey = malloc(sizeof(float) * (size_t)w * h);
    FILE *in = fopen(argv[1], "rb");
    if (!in || !grey || fread(grey, sizeof(float), (size_t)w * h, in) != (size_t)w * h) return fail("cannot read the grey image");
    fclose(in);

    VlDsiftFilter *f = vl_dsift_new_basic(w, h, step, bin);
    vl_dsift_set_flat_window(f, fast);
    vl_dsift_set_window_size(f, window);
    vl_dsift_process(f, grey);
    int n = vl_dsift_get_keypoint_num(f);
    const float *d = vl_dsift_get_descriptors(f);
    const VlDsiftKeypoint *k = vl_dsift_get_keypoints(f);

    FILE *fd = fopen(argv[8], "wb"), *ff = fopen(argv[9], "wb");
    if (!fd || !ff) return fail("cannot write the outputs");
    for (long i = 0; i < (long)n * 128; ++i) {
        float v = 512.0f * d[i];
        v = v < 255.0f ? v : 255.0f;
        fwrite(&v, sizeof v, 1, fd);
    }
    for (int i = 0; i < n; ++i) {
        float fr[4] = {(float)k[i].x, (float)k[i].y, (float)bin, (float)k[i].norm};
        fwrite(fr, sizeof(float), 4, ff);
    }
    fclose(fd); fclose(ff);
    printf("%d\n", n);
    vl_dsift_delete(f);
    free(grey);
    return 0;
}
