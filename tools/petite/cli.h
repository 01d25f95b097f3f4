/* cli.h — the `petite` command's subcommands. */
#ifndef PETITE_TOOLS_CLI_H
#define PETITE_TOOLS_CLI_H

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
