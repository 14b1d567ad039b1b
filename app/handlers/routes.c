/* Owns: the route table (method, pattern, handler, name, flags) and the list
 * of modules whose prepared statements a worker registers. */
#include "handlers/routes.h"

#include "handlers/ops.h"

const fa_route_t fa_routes[] = {
    {"GET", "/healthz", fa_handle_healthz, "healthz", 0},
    {"GET", "/readyz", fa_handle_readyz, "readyz", 0},
    {"GET", "/metrics", fa_handle_metrics, "metrics", 0},
};

const size_t fa_route_count = sizeof(fa_routes) / sizeof(fa_routes[0]);

void fa_routes_register_statements(void)
{
}
