/*
 * A libheif decoder plugin for HEVC that decodes in the calling thread (libheif's own
 * libde265 plugin starts a worker thread). Only the HEIF decoder includes this header.
 */
#ifndef IH_GUEST_HEVC_PLUGIN_H
#define IH_GUEST_HEVC_PLUGIN_H

#include <stdint.h>

/* Registers the plugin with libheif (after heif_init): 0, or -1. */
int ih_hevc_plugin_register(void);

/* For the next image: a picture whose SPS declares more than max_pixels is refused before
 * libde265 decodes it, and so is any once the image's pictures (tiles, alpha) declared
 * three times max_pixels in all. */
void ih_hevc_plugin_limit(uint64_t max_pixels);

#endif
