/* Floor 2 of scripts/bench: nginx -> FastCGI -> "ok". Measures the FastCGI
 * hop alone (nginx connect, params, libfcgi parse, one write) with the
 * service's process and accept model (bench_fcgi.h).
 * Usage: fcgi_ok SOCKET WORKERS */
#include "bench_fcgi.h"

static int fa_ok_handle(FCGX_Request *req, void *state)
{
    (void)state;
    static const char answer[] = "Status: 200 OK\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "Content-Length: 3\r\n"
                                 "\r\n"
                                 "ok\n";
    FCGX_PutStr(answer, (int)sizeof(answer) - 1, req->out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fcgi_ok SOCKET WORKERS\n");
        return 2;
    }
    return fa_bench_serve(argv[1], fa_bench_workers_arg(argv[2]), NULL, NULL, fa_ok_handle);
}
