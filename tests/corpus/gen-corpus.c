/* gen-corpus OUTDIR: writes the generated test corpus (tests/corpus/corpus.h) to OUTDIR,
 * creating it if needed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus.h"
#include "formats.h"

int main(int argc, char **argv)
{
	int r;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr,
			"usage: gen-corpus OUTDIR (writes OUTDIR/good and OUTDIR/hostile)\n");
		return 2;
	}
	r = mkdir(argv[1], 0755) < 0 && errno != EEXIST ? -errno : corpus_generate(argv[1]);
	if (r == 0)
		r = corpus_formats_generate(argv[1]);
	if (r < 0) {
		fprintf(stderr, "gen-corpus: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
