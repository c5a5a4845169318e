/* Placeholder until the owner of `ih-vm doctor` lands it; it fails loudly, never silently. */
#include <stdio.h>

#include "cmd.h"

int cmd_doctor(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ih-vm doctor: not built yet\n");
	return IH_EXIT_SYSTEM;
}
