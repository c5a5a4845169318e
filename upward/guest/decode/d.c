#include "d.h"
