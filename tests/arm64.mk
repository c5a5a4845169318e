# arm64 tests (issue 5). The parity check needs no build; the image and VM tests skip with
# a reason when build/arm64 has no image (make image ARCH=arm64).
UNIT_TESTS += tests/arm64/config-parity
