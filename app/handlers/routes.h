/* The one route table of the service. */
#ifndef FA_HANDLERS_ROUTES_H
#define FA_HANDLERS_ROUTES_H

#include <stddef.h>

#include "http/router.h"

extern const fa_route_t fa_routes[];
extern const size_t fa_route_count;

#endif
