/* The ih-vm subcommands and the exit codes every one of them uses. */
#ifndef IH_HOST_CMD_H
#define IH_HOST_CMD_H

enum ih_exit {
	IH_EXIT_OK = 0, /* every input decoded / every check passed */
	IH_EXIT_REJECTED = 1, /* at least one image rejected, or a doctor check failed */
	IH_EXIT_USAGE = 2, /* bad command line */
	IH_EXIT_SYSTEM = 3, /* sandbox, VM or system failure */
};

/* Each takes the arguments after its own name (argv[0] is the subcommand). */
int cmd_decode(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
