/* petite — inspect and run ExecuTorch .pte programs.
 *
 *   petite info model.pte [--verbose] [--json]
 *   petite info --ops model.pte...
 *   petite run  model.pte [--method NAME] [--input FILE|int:N|double:X|bool:B ...]
 *                         [--data FILE.ptd] [--output-dir DIR] [--threads N]
 *   petite bench model.pte [--method NAME] [--threads N] [--isa I] [--warmup W] [--runs R]
 *                          [--per-op[=all]] [--json]
 *   petite classify / detect MODEL.pte IMAGE...
 *   petite tokenize TOKENIZER [--decode] [--json] TEXT...
 *   petite generate MODEL.pte --tokenizer T --prompt TEXT [--max-new-tokens N] [--json] ...
 *
 * `petite CMD --help` (or -h anywhere among CMD's arguments) prints CMD's usage on stdout and exits 0;
 * a subcommand that refuses its arguments (exit 2) gets its usage on stderr after its message. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "petite/petite.h"

typedef struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
} subcommand;

static const subcommand commands[] = {
    {"info", cmd_info,
     "  petite info FILE.pte [--verbose] [--json]\n"
     "  petite info --ops FILE.pte...      (operator names, for cmake -DPETITE_SELECT_OPS=FILE)\n"
     "      methods with their inputs / outputs, operators, delegates and memory plan; --verbose adds\n"
     "      the format details (identifier, extended header, segments, constant storage); --json\n"
     "      prints everything as one JSON object\n"},
    {"run", cmd_run,
     "  petite run FILE.pte [--method NAME] [--input FILE.npy|int:N|double:X|bool:0|1 ...]\n"
     "                      [--data FILE.ptd] [--output-dir DIR] [--threads N] [--kernel-lib LIB.so ...]\n"
     "      run a method (default: forward, else the first) on .npy inputs; without\n"
     "      --input, tensors are filled deterministically; outputs are printed and, with\n"
     "      --output-dir (created if missing), saved as DIR/output_N.npy; --kernel-lib loads\n"
     "      custom kernels (a library exporting petite_kernel_library_init, examples/custom_op)\n"},
    {"bench", cmd_bench,
     "  petite bench FILE.pte [--method NAME] [--threads N] [--isa auto|scalar|avx2|avx512|neon|wasmsimd]\n"
     "                        [--warmup W] [--runs R] [--per-op[=all]] [--json] [--input FILE.npy ...]\n"
     "                        [--kernel-lib LIB.so ...]\n"
     "      time load, the first run and steady-state runs (median/min/p90 wall, CPU per\n"
     "      run; milliseconds); --per-op adds a table of time by operator and delegate node kind\n"
     "      (count, total ms, share), --per-op=all also each instruction and node (--json: always both)\n"},
    {"classify", cmd_classify,
     "  petite classify MODEL.pte IMAGE... [--labels FILE] [--top K] [--size S] [--mean R G B]\n"
     "                  [--std R G B] [--resize N] [--interp bilinear_aa|bilinear|area] [--json]\n"
     "                  [--output-scale S] [--output-zero-point Z]\n"
     "      top-K classes of PNG/JPEG images: shorter side to N (input x 256 / 224; antialiased as\n"
     "      torchvision's Resize on a PIL image), center crop to the model's input, ImageNet\n"
     "      mean/std unless given; ranked on the logits, shown with their softmax unless the\n"
     "      output already holds probabilities (int8 / uint8 outputs: the raw values, and\n"
     "      probabilities with --output-scale)\n"},
    {"detect", cmd_detect,
     "  petite detect MODEL.pte IMAGE... [--format yolov5|yolov8|ssd] [--conf 0.25] [--iou 0.45]\n"
     "                [--agnostic] [--max-det N] [--labels FILE] [--out annotated.png] [--json]\n"
     "                [--anchors A.npy] [--xy-order] [--mean ..] [--std ..] [--interp bilinear|bilinear_aa|area]\n"
     "      boxes in the image's pixels: letterbox to the model's input (pixels / 255), decode,\n"
     "      class-aware NMS (--agnostic: over all classes); --out draws them into a PNG\n"},
    {"tokenize", cmd_tokenize,
     "  petite tokenize TOKENIZER [--add-special] [--json] TEXT...\n"
     "  petite tokenize TOKENIZER --decode [--skip-special] [--json] ID...\n"
     "      token ids of each TEXT (\"-\": standard input), one line each; --json: one object\n"
     "      {\"ids\": [...], \"pieces\": [...]} (an array of them for several texts); --decode: the text\n"
     "      of the ids. TOKENIZER: a Hugging Face tokenizer.json or a directory holding one (with its\n"
     "      tokenizer_config.json); no special tokens are added unless --add-special\n"},
    {"generate", cmd_generate,
     "  petite generate MODEL.pte --tokenizer T --prompt TEXT [--max-new-tokens N] [--temperature 0]\n"
     "                [--top-p P] [--top-k K] [--seed S] [--stop STR]... [--threads N] [--echo]\n"
     "                [--ignore-eos] [--no-special] [--data FILE.ptd] [--json]\n"
     "      text from a decoder LM in ExecuTorch's LLM layout (petite-export --task text-generation, or\n"
     "      the official llama exporter's files with a KV cache): streamed to stdout, stats on stderr;\n"
     "      greedy unless --temperature; --json: {\"tokens\", \"text\", \"stop_reason\", \"stats\"}.\n"
     "      T: tokenizer.json (or its directory), tokenizer.model (SentencePiece / Llama 3), .tiktoken\n"},
};
#define NUM_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "petite %s — run ExecuTorch .pte programs\n\nusage:\n", petite_version());
    for (size_t i = 0; i < NUM_COMMANDS; i++) fputs(commands[i].usage, f);
    fputs("  petite version\n"
          "  petite COMMAND --help\n",
          f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    for (size_t i = 0; i < NUM_COMMANDS; i++) {
        if (strcmp(cmd, commands[i].name) != 0) continue;
        for (int k = 2; k < argc; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                printf("usage:\n%s", commands[i].usage);
                return 0;
            }
        int rc = commands[i].fn(argc - 2, argv + 2);
        if (rc == 2) fprintf(stderr, "\nusage:\n%s", commands[i].usage); /* the arguments were refused */
        return rc;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("petite %s\n", petite_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        for (size_t i = 0; argc > 2 && i < NUM_COMMANDS; i++) /* petite help COMMAND */
            if (strcmp(argv[2], commands[i].name) == 0) {
                printf("usage:\n%s", commands[i].usage);
                return 0;
            }
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "petite: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
