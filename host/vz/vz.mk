# ih-vz, the Virtualization.framework runner for the arm64 guest (issue 5). It is built only
# on macOS; see host/vz/README.md for what it does and what was tested. The ad-hoc signature
# carries the com.apple.security.virtualization entitlement the framework requires.
ifeq ($(shell uname -s),Darwin)
HOST_PROGS += $(HOSTOUT)/ih-vz
$(HOSTOUT)/ih-vz: host/vz/ih-vz.m host/vz/ih-vz.entitlements guest/decode/proto.h host/cli/cmd.h
	@mkdir -p $(@D)
	clang -fobjc-arc -std=gnu17 -O2 $(WARNINGS) -Iguest -Ihost -mmacosx-version-min=12.0 \
		-framework Foundation -framework Virtualization -o $@ $<
	codesign --force --sign - --entitlements host/vz/ih-vz.entitlements $@
endif
