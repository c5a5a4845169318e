# Guest PID 1 (guest/init.c) and the boot floor's do-nothing init (guest/floor.c), both
# static-pie. A mode living in another file adds its object as a prerequisite of
# $(INIT_BIN) in its own fragment ("$(INIT_BIN): $(OUT)/obj/guest/serve.o") and any
# library to INIT_LIBS: the link takes every object it depends on.

INIT_BIN := $(OUT)/guest/init
INIT_LIBS :=

$(INIT_BIN): $(OUT)/obj/guest/init.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $(filter %.o,$^) $(INIT_LIBS)

$(OUT)/guest/floor: $(OUT)/obj/guest/floor.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $^
