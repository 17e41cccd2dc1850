#ifndef CCURLHELPERS_H
#define CCURLHELPERS_H

#include <curl/curl.h>

/* libcurl's curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, which Swift
   cannot call. These typed wrappers are the whole bridge. */

typedef size_t (*rq_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURLcode rq_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode rq_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode rq_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode rq_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode rq_easy_setopt_data_callback(CURL *handle, CURLoption option, rq_curl_data_callback callback);
CURLcode rq_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode rq_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode rq_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLMcode rq_multi_setopt_long(CURLM *handle, CURLMoption option, long value);

/* Calls curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process, whichever thread gets here
   first; later calls return the first call's result. curl_global_init itself is not thread-safe. */
CURLcode rq_global_init_once(void);

/* Reads the multi handle's message queue until it finds a finished transfer. Returns 1 and fills
   `easy` and `result` when one was found, 0 when the queue holds no more. Saves Swift from the
   CURLMsg union. */
int rq_multi_next_done(CURLM *handle, CURL **easy, CURLcode *result);

/* The readiness loop of one multi handle, driven by curl_multi_socket_action: libcurl tells it
   which sockets to watch (an epoll set) and when its next timeout falls, so a wait costs what
   is ready rather than a poll over every socket of every transfer. Its thread alone calls
   rq_events_wait; rq_events_wakeup may be called from any thread. */
typedef struct rq_events rq_events;

/* Creates the loop of `multi` and installs its socket and timer callbacks; NULL when the
   system refuses an epoll set or an eventfd (errno says why). Free it after the multi handle's
   curl_multi_cleanup, which may still call back. */
rq_events *rq_events_new(CURLM *multi);
void rq_events_free(rq_events *events);

/* Waits until a watched socket is ready, libcurl's timeout falls due, a wakeup comes or
   `max_wait_ms` passes, and hands libcurl what happened (curl_multi_socket_action). Returns
   the CURLMcode of the first failing call, CURLM_OK otherwise. */
CURLMcode rq_events_wait(rq_events *events, int max_wait_ms);

/* Makes the wait in progress, or the next one, return at once. */
void rq_events_wakeup(rq_events *events);

/* Names the calling thread as the kernel shows it (top -H, perf, /proc/<pid>/task/<tid>/comm);
   at most 15 bytes are kept. pthread_setname_np is a GNU extension Swift does not see. */
void rq_name_current_thread(const char *name);

#endif
