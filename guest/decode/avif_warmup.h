/* A tiny AVIF decoded once before any sandboxed child (guest/decode/avif_warmup.c). */
#ifndef IH_GUEST_AVIF_WARMUP_H
#define IH_GUEST_AVIF_WARMUP_H

extern const unsigned char ih_avif_warmup[];
extern const unsigned int ih_avif_warmup_len;

#endif
