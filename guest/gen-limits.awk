# Turns guest/limits.conf into C: ih_limits_default() and ih_limits_ceiling().
# Every line must have a known name, two integers and a reason; anything else fails the build.
BEGIN {
	split("max_input_bytes max_pixels max_memory_bytes max_jpeg_scans " \
	      "max_png_chunk_bytes max_png_chunks cpu_ms wall_ms", names, " ")
	for (i in names)
		known[names[i]] = 1
}
/^[ \t]*(#|$)/ { next }
{
	if (!($1 in known) || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || NF < 4 || $2 + 0 > $3 + 0) {
		printf "%s:%d: want 'name default ceiling reason' with default <= ceiling\n", \
			FILENAME, FNR > "/dev/stderr"
		exit 1
	}
	if ($1 in seen) {
		printf "%s:%d: %s given twice\n", FILENAME, FNR, $1 > "/dev/stderr"
		exit 1
	}
	seen[$1] = 1
	def[$1] = $2
	ceil[$1] = $3
}
END {
	for (i in names)
		if (!(names[i] in seen)) {
			printf "%s: %s missing\n", FILENAME, names[i] > "/dev/stderr"
			exit 1
		}
	print "/* Generated from guest/limits.conf by guest/gen-limits.awk: do not edit. */"
	print "#include \"proto.h\""
	emit("ih_limits_default", def)
	emit("ih_limits_ceiling", ceil)
}
function emit(fn, v,    k)
{
	printf "\nvoid %s(struct ih_limits *ret)\n{\n", fn
	printf "\t*ret = (struct ih_limits){\n"
	for (k = 1; k <= 8; k++)
		printf "\t\t.%s = %sull,\n", names[k], v[names[k]]
	printf "\t};\n}\n"
}
