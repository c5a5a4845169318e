# Turns guest/sandbox/seccomp.policy into C: the table ih_seccomp_rules[] (guest/sandbox/seccomp_filter.h).
# A line needs a syscall name, a filter ('-' or argN==V / argN&M==V joined by ',') and a
# reason; anything else fails the build.
function fail(msg)
{
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	bad = 1
	exit 1
}
function emit_arg(cond,    m, idx, rest, mask, val)
{
	if (!match(cond, /^arg[0-5]/))
		fail("filter term '" cond "' must start with arg0..arg5")
	idx = substr(cond, 4, 1)
	rest = substr(cond, 5)
	if (substr(rest, 1, 1) == "&") {
		m = index(rest, "==")
		if (m < 3)
			fail("filter term '" cond "' wants argN&MASK==VALUE")
		mask = substr(rest, 2, m - 2)
		val = substr(rest, m + 2)
		return sprintf("{ %s, IH_SECCOMP_MASKED_EQ, %s, %s }", idx, mask, cval(val))
	}
	if (substr(rest, 1, 2) != "==" || length(rest) < 3)
		fail("filter term '" cond "' wants argN==VALUE")
	return sprintf("{ %s, IH_SECCOMP_EQ, %s, 0 }", idx, cval(substr(rest, 3)))
}
function cval(v)
{
	if (v == "keep_fd")
		return "IH_SECCOMP_KEEP_FD"
	if (v !~ /^[A-Za-z0-9_|]+$/)
		fail("value '" v "' is not a constant")
	return v
}
/^[ \t]*(#|$)/ { next }
{
	if (NF < 3 || $1 !~ /^[a-z0-9_]+$/)
		fail("want 'syscall filter reason'")
	if ($1 in seen)
		fail($1 " listed twice")
	seen[$1] = 1
	reason = $0
	sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", reason)
	gsub(/\\/, "\\\\", reason)
	gsub(/"/, "\\\"", reason)
	nargs = 0
	args = ""
	if ($2 != "-") {
		nterms = split($2, terms, ",")
		if (nterms > 2)
			fail("at most 2 filter terms")
		for (t = 1; t <= nterms; t++)
			args = args (t > 1 ? ", " : "") emit_arg(terms[t])
		nargs = nterms
	}
	rules[++n] = sprintf("\t{ \"%s\", \"%s\", %d, { %s }, \"%s\" },", $1, $2, nargs, args, reason)
}
END {
	if (bad)
		exit 1
	if (n == 0) {
		print "seccomp policy is empty" > "/dev/stderr"
		exit 1
	}
	print "/* Generated from guest/sandbox/seccomp.policy by guest/sandbox/gen-seccomp.awk: do not edit. */"
	print "#include <sys/mman.h>"
	print "#include \"guest/sandbox/seccomp_filter.h\""
	print ""
	print "const struct ih_seccomp_rule ih_seccomp_rules[] = {"
	for (i = 1; i <= n; i++)
		print rules[i]
	print "};"
	printf "const size_t ih_seccomp_n_rules = %d;\n", n
}
