/*
 * libFuzzer target over the records reader and parser that --resume and `ih-vm report`
 * run on files a killed writer or anyone else may have left (host/cli/records.h). The
 * first byte picks the chunk size the data is fed in, so line splitting across reads is
 * fuzzed with the parser. Every parsed record must hold NUL-terminated, non-empty fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const struct ih_record *rec, void *ctx)
{
	(void)ctx;
	if (!memchr(rec->file, 0, sizeof(rec->file)) || !rec->file[0] ||
	    !memchr(rec->status, 0, sizeof(rec->status)) || !rec->status[0] ||
	    !memchr(rec->reason, 0, sizeof(rec->reason)) ||
	    !memchr(rec->output, 0, sizeof(rec->output)))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ih_records_reader r;
	struct ih_records_stats st;
	struct ih_record rec;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] * 61 + 1;
	data++;
	size--;
	if (ih_records_reader_init(&r, check, NULL) < 0)
		return 0;
	for (size_t at = 0; at < size; at += step)
		ih_records_feed(&r, (const char *)data + at, size - at < step ? size - at : step);
	ih_records_finish(&r, &st);
	if (st.records + st.malformed > st.lines)
		abort();
	if (ih_record_parse((const char *)data, size, &rec) == 0)
		check(&rec, NULL);
	return 0;
}
