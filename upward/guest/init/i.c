#include "guest/sandbox/s.h"
