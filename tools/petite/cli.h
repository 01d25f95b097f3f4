/* cli.h — the `petite` command's subcommands. */
#ifndef PETITE_TOOLS_CLI_H
#define PETITE_TOOLS_CLI_H

#include "petite/petite.h"

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_generate(int argc, char **argv);

/* "forward" if the program has it, else its first method ("" if none). */
const char *cli_default_method(const petite_program *p);

#endif
