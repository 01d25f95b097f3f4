/* petite — inspect and run ExecuTorch .pte programs.
 *
 *   petite info model.pte [--json]
 *   petite info --ops model.pte...
 *   petite run  model.pte [--method NAME] [--input FILE|int:N|double:X|bool:B ...]
 *                         [--data FILE.ptd] [--output-dir DIR] [--threads N]
 *   petite bench model.pte [--method NAME] [--threads N] [--isa I] [--warmup W] [--runs R] [--per-op] [--json]
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "petite/petite.h"

static void usage(FILE *f) {
    fprintf(f,
            "petite %s — run ExecuTorch .pte programs\n\n"
            "usage:\n"
            "  petite info FILE.pte [--json]\n"
            "  petite info --ops FILE.pte...      (operator names, for cmake -DPETITE_SELECT_OPS=FILE)\n"
            "      methods, inputs/outputs, operators, delegates, memory plan, format details\n"
            "  petite run FILE.pte [--method NAME] [--input FILE.npy|int:N|double:X|bool:0|1 ...]\n"
            "                      [--data FILE.ptd] [--output-dir DIR] [--threads N] [--kernel-lib LIB.so ...]\n"
            "      run a method (default: forward, else the first) on .npy inputs; without\n"
            "      --input, tensors are filled deterministically; outputs are printed and, with\n"
            "      --output-dir, saved as output_N.npy; --kernel-lib loads custom kernels\n"
            "      (a library exporting petite_kernel_library_init, examples/custom_op)\n"
            "  petite bench FILE.pte [--method NAME] [--threads N] [--isa auto|scalar|avx2|avx512|neon|wasmsimd]\n"
            "                        [--warmup W] [--runs R] [--per-op] [--json] [--input FILE.npy ...]\n"
            "                        [--kernel-lib LIB.so ...]\n"
            "      time load, the first run and steady-state runs (median/min/p90 wall, CPU per\n"
            "      run); --per-op adds time per instruction and delegate node\n"
            "  petite classify MODEL.pte IMAGE... [--labels FILE] [--top K] [--size S] [--mean R G B]\n"
            "                  [--std R G B] [--resize N] [--json]\n"
            "      top-K classes of PNG/JPEG images: shorter side to N (input x 256 / 224), center\n"
            "      crop to the model's input, ImageNet mean/std unless given; softmax unless the\n"
            "      output already holds probabilities\n"
            "  petite detect MODEL.pte IMAGE... [--format yolov5|yolov8|ssd] [--conf 0.25] [--iou 0.45]\n"
            "                [--agnostic] [--max-det N] [--labels FILE] [--out annotated.png] [--json]\n"
            "                [--anchors A.npy] [--xy-order] [--mean ..] [--std ..]\n"
            "      boxes in the image's pixels: letterbox to the model's input (pixels / 255), decode,\n"
            "      class-aware NMS (--agnostic: over all classes); --out draws them into a PNG\n"
            "  petite version\n",
            petite_version());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "classify") == 0) return cmd_classify(argc - 2, argv + 2);
    if (strcmp(cmd, "detect") == 0) return cmd_detect(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("petite %s\n", petite_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "petite: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
