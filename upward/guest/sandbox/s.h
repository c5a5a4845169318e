#include "guest/decode/d.h"
