# The ih-vm launcher: subcommand sources. Each owner adds its files to IHVM_SRCS in its own
# host/*.mk fragment; the link rule is in the top-level Makefile.
IHVM_SRCS += host/cmd_decode.c host/cmd_policy.c host/cmd_doctor.c host/cmd_boot.c
