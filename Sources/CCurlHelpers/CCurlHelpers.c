#define _GNU_SOURCE
#include "CCurlHelpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

CURLcode rq_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode rq_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode rq_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode rq_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode rq_easy_setopt_data_callback(CURL *handle, CURLoption option, rq_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

CURLcode rq_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode rq_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode rq_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLMcode rq_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static pthread_once_t rq_global_once = PTHREAD_ONCE_INIT;
static CURLcode rq_global_result = CURLE_FAILED_INIT;

static void rq_global_init_body(void) {
    rq_global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode rq_global_init_once(void) {
    pthread_once(&rq_global_once, rq_global_init_body);
    return rq_global_result;
}

int rq_multi_next_done(CURLM *handle, CURL **easy, CURLcode *result) {
    int remaining = 0;
    CURLMsg *message;
    while ((message = curl_multi_info_read(handle, &remaining)) != NULL) {
        if (message->msg == CURLMSG_DONE) {
            *easy = message->easy_handle;
            *result = message->data.result;
            return 1;
        }
    }
    return 0;
}

struct rq_events {
    CURLM *multi;
    int epoll;
    int wake;
    /* When libcurl's timeout falls due (CLOCK_MONOTONIC ms); -1: none. */
    int64_t deadline;
};

static int64_t rq_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* CURLMOPT_SOCKETFUNCTION: watch `socket` for what libcurl waits on, or stop watching it. */
static int rq_events_socket(CURL *easy, curl_socket_t socket, int what, void *user, void *socket_data) {
    (void)easy;
    (void)socket_data;
    rq_events *events = user;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(events->epoll, EPOLL_CTL_DEL, socket, NULL);
        return 0;
    }
    struct epoll_event event = {0};
    event.data.fd = socket;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) event.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) event.events |= EPOLLOUT;
    if (epoll_ctl(events->epoll, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
        epoll_ctl(events->epoll, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl's next timeout, in ms from now (-1: none). */
static int rq_events_timer(CURLM *multi, long timeout_ms, void *user) {
    (void)multi;
    rq_events *events = user;
    events->deadline = timeout_ms < 0 ? -1 : rq_now_ms() + timeout_ms;
    return 0;
}

rq_events *rq_events_new(CURLM *multi) {
    rq_events *events = calloc(1, sizeof(rq_events));
    if (events == NULL) return NULL;
    events->multi = multi;
    events->deadline = -1;
    events->epoll = epoll_create1(EPOLL_CLOEXEC);
    events->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event event = {0};
    event.events = EPOLLIN;
    event.data.fd = events->wake;
    if (events->epoll < 0 || events->wake < 0 || epoll_ctl(events->epoll, EPOLL_CTL_ADD, events->wake, &event) != 0) {
        int saved = errno;
        if (events->epoll >= 0) close(events->epoll);
        if (events->wake >= 0) close(events->wake);
        free(events);
        errno = saved;
        return NULL;
    }
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, rq_events_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, events);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, rq_events_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, events);
    return events;
}

void rq_events_free(rq_events *events) {
    if (events == NULL) return;
    close(events->epoll);
    close(events->wake);
    free(events);
}

void rq_events_wakeup(rq_events *events) {
    uint64_t one = 1;
    ssize_t written = write(events->wake, &one, sizeof one);
    (void)written; /* EAGAIN: the counter is already non-zero, a wakeup is pending anyway. */
}

CURLMcode rq_events_wait(rq_events *events, int max_wait_ms) {
    int wait = max_wait_ms;
    if (events->deadline >= 0) {
        int64_t until = events->deadline - rq_now_ms();
        if (until < wait) wait = until < 0 ? 0 : (int)until;
    }
    struct epoll_event ready[256];
    int count = epoll_wait(events->epoll, ready, 256, wait);
    CURLMcode result = CURLM_OK;
    int running = 0;
    for (int i = 0; i < count; i++) {
        int fd = ready[i].data.fd;
        if (fd == events->wake) {
            uint64_t drained;
            ssize_t got = read(events->wake, &drained, sizeof drained);
            (void)got;
            continue;
        }
        int action = 0;
        if (ready[i].events & EPOLLIN) action |= CURL_CSELECT_IN;
        if (ready[i].events & EPOLLOUT) action |= CURL_CSELECT_OUT;
        if (ready[i].events & (EPOLLERR | EPOLLHUP)) action |= CURL_CSELECT_ERR;
        CURLMcode code = curl_multi_socket_action(events->multi, fd, action, &running);
        if (code != CURLM_OK && result == CURLM_OK) result = code;
    }
    if (events->deadline >= 0 && events->deadline <= rq_now_ms()) {
        events->deadline = -1;
        CURLMcode code = curl_multi_socket_action(events->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (code != CURLM_OK && result == CURLM_OK) result = code;
    }
    return result;
}

void rq_name_current_thread(const char *name) {
    char truncated[16];
    size_t length = strnlen(name, sizeof truncated - 1);
    memcpy(truncated, name, length);
    truncated[length] = 0;
    pthread_setname_np(pthread_self(), truncated);
}
