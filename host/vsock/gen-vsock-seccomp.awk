# Turns host/vsock/vsock_seccomp.policy into C: the table vsock_seccomp_rules[] (vsock_sandbox.h).
# A line needs a syscall name, a filter ('-' or 'noexec2') and a reason; anything else
# fails the build. Names the target lacks are left out by #ifdef SYS_<name>.
function fail(msg)
{
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	bad = 1
	exit 1
}
/^[ \t]*(#|$)/ { next }
{
	if (NF < 3 || $1 !~ /^[a-z0-9_]+$/)
		fail("want 'syscall filter reason'")
	if ($2 != "-" && $2 != "noexec2")
		fail("filter must be '-' or 'noexec2'")
	if ($1 in seen)
		fail($1 " listed twice")
	seen[$1] = 1
	rules[++n] = sprintf("#ifdef SYS_%s\n\t{ SYS_%s, %d },\n#endif", $1, $1, $2 == "noexec2")
}
END {
	if (bad)
		exit 1
	if (n == 0) {
		print "vsock seccomp policy is empty" > "/dev/stderr"
		exit 1
	}
	print "/* Generated from host/vsock/vsock_seccomp.policy by host/vsock/gen-vsock-seccomp.awk. */"
	print "#include <sys/syscall.h>"
	print "#include \"host/vsock/vsock_sandbox.h\""
	print ""
	print "const struct vsock_seccomp_rule vsock_seccomp_rules[] = {"
	for (i = 1; i <= n; i++)
		print rules[i]
	print "};"
	print "const unsigned int vsock_seccomp_n_rules ="
	print "\tsizeof(vsock_seccomp_rules) / sizeof(vsock_seccomp_rules[0]);"
}
