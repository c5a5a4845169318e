# Turns guest/decode/limits.conf into C: ih_limits_default() and ih_limits_ceiling() for the
# per-request limits, and the const struct ih_format_limits (guest/decode/format_limits.h) for
# the per-format limits fixed by the build. Every line must have a known name, its values
# and a reason; anything else fails the build.
BEGIN {
	split("max_input_bytes max_pixels max_memory_bytes max_jpeg_scans " \
	      "max_png_chunk_bytes max_png_chunks cpu_ms wall_ms", names, " ")
	for (i in names)
		known[names[i]] = 1
	nfixed = split("max_frames max_anim_pixels max_meta_bytes gif_max_lzw_bytes " \
		       "gif_max_extensions tiff_max_ifds tiff_max_strips tiff_max_strip_bytes " \
		       "webp_max_chunks webp_max_chunk_bytes webp_max_side max_icc_bytes", fixed, " ")
	# HEIF and AVIF (ISO-BMFF, guest/decode/isobmff.c)
	nbmff = split("bmff_max_boxes bmff_max_depth bmff_max_items bmff_max_refs " \
		      "bmff_max_ref_depth bmff_max_tiles bmff_max_side", bmff, " ")
	for (i = 1; i <= nbmff; i++)
		fixed[++nfixed] = bmff[i]
	# JPEG XL (guest/decode/jxl.c)
	njxl = split("jxl_max_side jxl_max_boxes", jxl, " ")
	for (i = 1; i <= njxl; i++)
		fixed[++nfixed] = jxl[i]
	for (i in fixed)
		isfixed[fixed[i]] = 1
	# libtiff's COMPRESSION_* codes of the names tiff_compressions may list.
	split("none=1 lzw=5 jpeg=7 deflate=32946 adobe_deflate=8 packbits=32773", pairs, " ")
	for (i in pairs) {
		split(pairs[i], kv, "=")
		tiffcode[kv[1]] = kv[2]
	}
}
function fail(msg)
{
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	exit 1
}
function once(name)
{
	if (name in seen)
		fail(name " given twice")
	seen[name] = 1
}
/^[ \t]*(#|$)/ { next }
$1 == "tiff_compressions" {
	once($1)
	if (NF < 3)
		fail("want 'tiff_compressions name,name,... reason'")
	ncomp = split($2, comp, ",")
	for (i = 1; i <= ncomp; i++)
		if (!(comp[i] in tiffcode))
			fail("unknown TIFF compression " comp[i])
	next
}
$1 in isfixed {
	once($1)
	if ($2 !~ /^[0-9]+$/ || NF < 3)
		fail("want 'name value reason'")
	val[$1] = $2
	next
}
{
	if (!($1 in known) || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || NF < 4 || $2 + 0 > $3 + 0)
		fail("want 'name default ceiling reason' with default <= ceiling")
	once($1)
	def[$1] = $2
	ceil[$1] = $3
}
END {
	for (i in names)
		if (!(names[i] in seen)) {
			printf "%s: %s missing\n", FILENAME, names[i] > "/dev/stderr"
			exit 1
		}
	for (i in fixed)
		if (!(fixed[i] in seen)) {
			printf "%s: %s missing\n", FILENAME, fixed[i] > "/dev/stderr"
			exit 1
		}
	if (!("tiff_compressions" in seen)) {
		printf "%s: tiff_compressions missing\n", FILENAME > "/dev/stderr"
		exit 1
	}
	print "/* Generated from guest/decode/limits.conf by guest/decode/gen-limits.awk: do not edit. */"
	print "#include \"guest/decode/format_limits.h\""
	print "#include \"guest/decode/proto.h\""
	emit("ih_limits_default", def)
	emit("ih_limits_ceiling", ceil)
	emit_fixed()
}
function emit(fn, v,    k)
{
	printf "\nvoid %s(struct ih_limits *ret)\n{\n", fn
	printf "\t*ret = (struct ih_limits){\n"
	for (k = 1; k <= 8; k++)
		printf "\t\t.%s = %sull,\n", names[k], v[names[k]]
	printf "\t};\n}\n"
}
function emit_fixed(    k, codes)
{
	codes = ""
	for (k = 1; k <= ncomp; k++)
		codes = codes (k > 1 ? ", " : "") tiffcode[comp[k]]
	if (comp_has("deflate") && !comp_has("adobe_deflate"))
		codes = codes ", " tiffcode["adobe_deflate"]
	printf "\nconst struct ih_format_limits ih_format_limits = {\n"
	for (k = 1; k <= nfixed; k++)
		printf "\t.%s = %sull,\n", fixed[k], val[fixed[k]]
	printf "\t.tiff_compressions = { %s },\n", codes
	printf "};\n"
}
function comp_has(name,    k)
{
	for (k = 1; k <= ncomp; k++)
		if (comp[k] == name)
			return 1
	return 0
}
