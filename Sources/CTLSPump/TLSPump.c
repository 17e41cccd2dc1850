// A TLS client in front of hiredis 0.14, which has no TLS of its own: the handshake happens in
// the caller's thread (so that its errors are the caller's), then a detached thread moves bytes
// between the TLS connection and a socket pair whose other end hiredis reads and writes as a
// plain socket. Both sides are non-blocking with a buffer each way, so neither direction can
// stall the other however large a pipeline is.
#include "TLSPump.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUFFER_SIZE = 64 * 1024 };

typedef struct {
    SSL *ssl;
    SSL_CTX *context;
    int network;  // the TCP socket to the server
    int local;    // our end of the socket pair
} Pump;

typedef struct {
    unsigned char bytes[BUFFER_SIZE];
    size_t start;
    size_t end;
} Buffer;

static void set_error(char *error, size_t length, const char *prefix, const char *detail) {
    if (error && length > 0) snprintf(error, length, "%s%s%s", prefix, detail ? ": " : "", detail ? detail : "");
}

static void ssl_error(char *error, size_t length, const char *prefix, SSL *ssl) {
    char detail[256] = "";
    unsigned long code = ERR_get_error();
    if (ssl && SSL_get_verify_result(ssl) != X509_V_OK) {
        snprintf(detail, sizeof detail, "certificate verify failed (%s)", X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    } else if (code != 0) {
        ERR_error_string_n(code, detail, sizeof detail);
    } else {
        snprintf(detail, sizeof detail, "%s", errno ? strerror(errno) : "connection closed");
    }
    ERR_clear_error();
    set_error(error, length, prefix, detail);
}

static int set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

/// Waits for `events` on `fd` until `deadline_ms` (CLOCK_MONOTONIC); 1 ready, 0 timed out, -1 error.
static long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

static int wait_for(int fd, short events, long deadline_ms) {
    for (;;) {
        long left = deadline_ms - now_ms();
        if (left <= 0) return 0;
        struct pollfd item = {.fd = fd, .events = events};
        int ready = poll(&item, 1, (int)left);
        if (ready < 0 && errno == EINTR) continue;
        return ready;
    }
}

static int connect_tcp(const char *host, int port, long deadline_ms, char *error, size_t length) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addresses = NULL;
    int status = getaddrinfo(host, service, &hints, &addresses);
    if (status != 0) {
        set_error(error, length, "cannot resolve host", gai_strerror(status));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *address = addresses; address; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
        if (fd < 0) continue;
        set_nonblocking(fd, 1);
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline_ms) == 1) {
            int failure = 0;
            socklen_t size = sizeof failure;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size);
            if (failure == 0) break;
            errno = failure;
        } else if (errno == EINPROGRESS) {
            errno = ETIMEDOUT;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);
    if (fd < 0) {
        set_error(error, length, "cannot connect", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    return fd;
}

static void pump_free(Pump *pump) {
    if (pump->ssl) SSL_free(pump->ssl);
    if (pump->context) SSL_CTX_free(pump->context);
    if (pump->network >= 0) close(pump->network);
    if (pump->local >= 0) close(pump->local);
    free(pump);
}

/// Reads what TLS holds into `down`; 0 on progress or nothing to do, -1 once the server is gone.
static int tls_read(Pump *pump, Buffer *down, int *wants_write) {
    while (down->end < BUFFER_SIZE) {
        ERR_clear_error();
        int read = SSL_read(pump->ssl, down->bytes + down->end, (int)(BUFFER_SIZE - down->end));
        if (read > 0) {
            down->end += (size_t)read;
            continue;
        }
        int reason = SSL_get_error(pump->ssl, read);
        if (reason == SSL_ERROR_WANT_READ) return 0;
        if (reason == SSL_ERROR_WANT_WRITE) {
            *wants_write = 1;
            return 0;
        }
        return -1;
    }
    return 0;
}

static int tls_write(Pump *pump, Buffer *up, int *wants_read) {
    while (up->start < up->end) {
        ERR_clear_error();
        int written = SSL_write(pump->ssl, up->bytes + up->start, (int)(up->end - up->start));
        if (written > 0) {
            up->start += (size_t)written;
            continue;
        }
        int reason = SSL_get_error(pump->ssl, written);
        if (reason == SSL_ERROR_WANT_WRITE) return 0;
        if (reason == SSL_ERROR_WANT_READ) {
            *wants_read = 1;
            return 0;
        }
        return -1;
    }
    up->start = up->end = 0;
    return 0;
}

static void *pump_run(void *argument) {
    Pump *pump = argument;
    Buffer *up = calloc(1, sizeof(Buffer));    // hiredis -> server
    Buffer *down = calloc(1, sizeof(Buffer));  // server -> hiredis
    int local_open = 1;
    while (up && down) {
        int tls_wants_write = 0, tls_wants_read = 0;
        // Move whatever can move without waiting, then wait for the sockets that can make progress.
        if (tls_read(pump, down, &tls_wants_write) < 0) break;
        if (tls_write(pump, up, &tls_wants_read) < 0) break;
        while (down->start < down->end) {
            ssize_t written = send(pump->local, down->bytes + down->start, down->end - down->start, MSG_NOSIGNAL);
            if (written > 0) {
                down->start += (size_t)written;
            } else {
                break;
            }
        }
        if (down->start == down->end) down->start = down->end = 0;
        if (local_open && up->end < BUFFER_SIZE) {
            ssize_t read = recv(pump->local, up->bytes + up->end, BUFFER_SIZE - up->end, 0);
            if (read > 0) {
                up->end += (size_t)read;
                continue;
            }
            if (read == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) local_open = 0;
        }
        if (!local_open && up->start == up->end) break;  // hiredis closed its end and everything went out
        // Bytes OpenSSL already holds are invisible to poll: read them before waiting.
        if (down->end < BUFFER_SIZE && SSL_has_pending(pump->ssl)) continue;

        struct pollfd items[2] = {{.fd = pump->network}, {.fd = pump->local}};
        if (down->end < BUFFER_SIZE || tls_wants_read) items[0].events |= POLLIN;
        if (up->start < up->end || tls_wants_write) items[0].events |= POLLOUT;
        if (local_open && up->end < BUFFER_SIZE) items[1].events |= POLLIN;
        if (down->start < down->end) items[1].events |= POLLOUT;
        if (poll(items, 2, -1) < 0 && errno != EINTR) break;
        if (items[0].revents & (POLLERR | POLLNVAL)) break;
        if (items[1].revents & (POLLERR | POLLNVAL)) break;
        if ((items[0].revents & POLLHUP) && !(items[0].revents & POLLIN)) break;
    }
    free(up);
    free(down);
    SSL_shutdown(pump->ssl);
    // hiredis sees end-of-file: the connection is gone, and it reconnects.
    shutdown(pump->local, SHUT_RDWR);
    pump_free(pump);
    return NULL;
}

int ragq_tls_pump_open(const char *host, int port, const char *server_name, const char *ca_file, int timeout_ms,
                       char *error, size_t error_length) {
    long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
    Pump *pump = calloc(1, sizeof(Pump));
    if (!pump) {
        set_error(error, error_length, "out of memory", NULL);
        return -1;
    }
    pump->network = pump->local = -1;
    pump->network = connect_tcp(host, port, deadline, error, error_length);
    if (pump->network < 0) {
        pump_free(pump);
        return -1;
    }
    pump->context = SSL_CTX_new(TLS_client_method());
    if (!pump->context) {
        ssl_error(error, error_length, "cannot create a TLS context", NULL);
        pump_free(pump);
        return -1;
    }
    SSL_CTX_set_min_proto_version(pump->context, TLS1_2_VERSION);
    SSL_CTX_set_verify(pump->context, SSL_VERIFY_PEER, NULL);
    int loaded = ca_file ? SSL_CTX_load_verify_locations(pump->context, ca_file, NULL) : SSL_CTX_set_default_verify_paths(pump->context);
    if (loaded != 1) {
        ssl_error(error, error_length, ca_file ? "cannot load the CA file" : "cannot load the system's CA certificates", NULL);
        pump_free(pump);
        return -1;
    }
    pump->ssl = SSL_new(pump->context);
    if (!pump->ssl) {
        ssl_error(error, error_length, "cannot create a TLS session", NULL);
        pump_free(pump);
        return -1;
    }
    SSL_set_fd(pump->ssl, pump->network);
    const char *name = server_name ? server_name : host;
    struct in6_addr scratch;
    int is_address = inet_pton(AF_INET, name, &scratch) == 1 || inet_pton(AF_INET6, name, &scratch) == 1;
    X509_VERIFY_PARAM *parameters = SSL_get0_param(pump->ssl);
    if (is_address) {
        X509_VERIFY_PARAM_set1_ip_asc(parameters, name);
    } else {
        SSL_set_tlsext_host_name(pump->ssl, name);
        X509_VERIFY_PARAM_set1_host(parameters, name, 0);
    }
    for (;;) {
        int result = SSL_connect(pump->ssl);
        if (result == 1) break;
        int reason = SSL_get_error(pump->ssl, result);
        short events = reason == SSL_ERROR_WANT_READ ? POLLIN : reason == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (events == 0) {
            ssl_error(error, error_length, "TLS handshake failed", pump->ssl);
            pump_free(pump);
            return -1;
        }
        if (wait_for(pump->network, events, deadline) != 1) {
            set_error(error, error_length, "TLS handshake failed", "timed out");
            pump_free(pump);
            return -1;
        }
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        set_error(error, error_length, "cannot create a socket pair", strerror(errno));
        pump_free(pump);
        return -1;
    }
    pump->local = pair[0];
    set_nonblocking(pump->local, 1);
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&thread, &attributes, pump_run, pump);
    pthread_attr_destroy(&attributes);
    if (started != 0) {
        close(pair[1]);
        set_error(error, error_length, "cannot start the TLS thread", strerror(started));
        pump_free(pump);
        return -1;
    }
    return pair[1];
}
