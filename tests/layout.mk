# The tree's layout: the design's top level, host/ and guest/ as one folder per subsystem,
# includes pointing the way tests/layout/deps.conf allows, no include cycle; and the same
# check failing on trees made with one defect each.
UNIT_TESTS += tests/layout/layout.test tests/layout/weakened.test
