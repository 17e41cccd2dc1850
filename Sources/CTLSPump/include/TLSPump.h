#ifndef RAGQ_TLS_PUMP_H
#define RAGQ_TLS_PUMP_H

#include <stddef.h>

/// Connects to `host`:`port` over TCP within `timeout_ms`, completes a TLS handshake within the
/// same time (verifying the server's certificate against `ca_file`, or the system's trust store
/// when it is NULL, and its name or IP address against `server_name`), then starts a thread that
/// pumps bytes between the TLS connection and one end of a Unix socket pair.
///
/// Returns the pair's other end, a plain socket to hand to hiredis (`redisConnectFd`): closing it
/// ends the pump, and the pump closes it when the server goes away. Returns -1 with a message
/// in `error` when the connection or the handshake fails.
int ragq_tls_pump_open(const char *host, int port, const char *server_name, const char *ca_file, int timeout_ms,
                       char *error, size_t error_length);

#endif
