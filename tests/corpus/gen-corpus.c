/* gen-corpus OUTDIR: writes the generated test corpus (tests/corpus/corpus.h) to OUTDIR. */
#include <stdio.h>
#include <string.h>

#include "corpus.h"

int main(int argc, char **argv)
{
	int r;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr,
			"usage: gen-corpus OUTDIR (writes OUTDIR/good and OUTDIR/hostile)\n");
		return 2;
	}
	r = corpus_generate(argv[1]);
	if (r < 0) {
		fprintf(stderr, "gen-corpus: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
