#include "CCurlHelpers.h"

#include <pthread.h>

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
