/// The API's OpenAPI 3.1 document, written by hand and served at `/openapi.yaml`. A test checks
/// that every route of the router is in it and every path in it is routed.
enum OpenAPISpec {
    /// A route path with `:name` parameters written `{name}`, as OpenAPI and the metrics spell them.
    static func template(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }

    /// The document.
    static let yaml = """
        openapi: 3.1.0
        info:
          title: RAGQueue API
          version: 1.0.0
          description: |
            Asynchronous RAG questions. Submit a question, receive a job id at once, then read the
            status and the answer by id (poll, long-poll with ?wait= or Server-Sent Events).
            Errors are {"error":{"code","message"}}; the seed routes (/, /chat, /job-status, /result)
            keep FastAPI's {"detail": ...}. When API keys are configured every route except /,
            /healthz and /readyz needs one. A path below asked with a method it does not list is
            405 method_not_allowed, with Allow naming the methods it answers; any other path is 404.
        servers:
          - url: http://127.0.0.1:8000
        security:
          - bearer: []
          - apiKey: []
        components:
          securitySchemes:
            bearer:
              type: http
              scheme: bearer
            apiKey:
              type: apiKey
              in: header
              name: X-API-Key
          parameters:
            QueryID:
              name: id
              in: path
              required: true
              schema: {type: string, minLength: 1, maxLength: 64}
            SeedJobID:
              name: job_id
              in: path
              required: true
              schema: {type: string, minLength: 1, maxLength: 64}
            RequestID:
              name: X-Request-Id
              in: header
              required: false
              schema: {type: string, maxLength: 128}
          headers:
            RequestID:
              description: The request's id, as sent or generated.
              schema: {type: string}
            RetryAfter:
              description: Seconds to wait before retrying.
              schema: {type: integer}
          schemas:
            Error:
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message]
                  properties:
                    code: {type: string}
                    message: {type: string}
            Detail:
              type: object
              required: [detail]
              properties:
                detail: {}
            Links:
              type: object
              properties:
                self: {type: string}
                events: {type: string}
                wait: {type: string}
            Status:
              type: string
              enum: [queued, started, scheduled, finished, failed, canceled]
            FilterValue:
              oneOf: [{type: string}, {type: integer}, {type: boolean}]
            QueryRequest:
              type: object
              description: |
                The one query contract: the same object is the job's payload. Any other field is
                422 validation_error naming it. Limits shown are the defaults (API_MAX_QUERY_LENGTH,
                RAG_MAX_TOP_K, RAG_TOP_K, RAG_COLLECTION).
              required: [query]
              additionalProperties: false
              properties:
                query: {type: string, minLength: 1, maxLength: 4000, description: The question.}
                collection: {type: string, minLength: 1, maxLength: 255, pattern: '^[!-.0-~]+$'}
                top_k: {type: integer, minimum: 1, maximum: 20, default: 4}
                filter:
                  type: object
                  maxProperties: 32
                  description: Conditions on payload fields by dotted key; a list matches any of its values.
                  additionalProperties:
                    oneOf:
                      - {$ref: '#/components/schemas/FilterValue'}
                      - {type: array, minItems: 1, maxItems: 64, items: {$ref: '#/components/schemas/FilterValue'}}
                stream: {type: boolean, default: false}
                priority: {type: integer, minimum: 0, maximum: 9, default: 5, description: Higher runs first among the tenant's queries.}
                callback_url: {type: string, format: uri}
                cache: {type: boolean, default: true, description: 'false: not answered from the answer cache (its fresh answer is cached in turn).'}
            Accepted:
              type: object
              description: An answer from the answer cache comes back whole, as a Query (status finished, cached, result).
              required: [id, status, links]
              properties:
                id: {type: string}
                status: {$ref: '#/components/schemas/Status'}
                links: {$ref: '#/components/schemas/Links'}
            Query:
              type: object
              required: [id, status, attempts, max_attempts, created_at, links]
              properties:
                id: {type: string}
                status: {$ref: '#/components/schemas/Status'}
                query: {type: string}
                collection: {type: string}
                top_k: {type: integer}
                stream: {type: boolean}
                attempts: {type: integer}
                max_attempts: {type: integer}
                crashes: {type: integer, description: workers that died holding the query (their attempts do not count)}
                cancel_requested: {type: boolean}
                created_at: {type: string, format: date-time}
                started_at: {type: string, format: date-time}
                ended_at: {type: string, format: date-time}
                retry_at: {type: string, format: date-time}
                request_id: {type: string}
                cached: {type: boolean, description: 'true: answered from the answer cache without a chat call: at submit for an equal question, by the worker after embedding for a similar one (with similarity).'}
                cached_from: {type: string, description: The id of the job whose answer this is.}
                similarity: {type: number, description: 'For an answer reused from a similar question (semantic cache): the cosine similarity of the two questions.'}
                coalesced_with: {type: string, description: 'The job asking the same question that this one waits for: it ends as that one ends.'}
                timings: {type: object, additionalProperties: {type: number}}
                result: {description: The RAG answer (answer, sources, model, embedding_model, collection, usage).}
                error:
                  type: object
                  properties:
                    code: {type: string}
                    message: {type: string}
                    transient: {type: boolean}
                links: {$ref: '#/components/schemas/Links'}
          responses:
            Page:
              description: "An HTML page of the dashboard, or the fragment its script fetches."
              content:
                text/html:
                  schema: {type: string}
            Error:
              description: An error.
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Error'}
            SeedError:
              description: An error in FastAPI's shape.
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Detail'}
        paths:
          /:
            get:
              summary: Liveness message of the seed API.
              security: []
              responses:
                '200':
                  description: Up.
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          status: {type: string}
                          service: {type: string}
          /chat:
            post:
              summary: Queue a question (seed API; the question is a query parameter).
              parameters:
                - name: query
                  in: query
                  required: true
                  schema: {type: string, minLength: 1, maxLength: 4000, pattern: '\\S'}
              responses:
                '200':
                  description: Queued.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status, job_id, message]
                        properties:
                          status: {type: string}
                          job_id: {type: string}
                          message: {type: string}
                '400': {$ref: '#/components/responses/SeedError'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/SeedError'}
                '422': {$ref: '#/components/responses/SeedError'}
                '429': {$ref: '#/components/responses/Error'}
                '503': {$ref: '#/components/responses/SeedError'}
          /job-status/{job_id}:
            get:
              summary: A job's status (seed API).
              parameters:
                - $ref: '#/components/parameters/SeedJobID'
              responses:
                '200':
                  description: The job.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [job_id, status, created_at]
                        properties:
                          job_id: {type: string}
                          status: {type: string}
                          created_at: {type: string}
                          ended_at: {type: string}
                          result: {type: [string, 'null']}
                          error: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/SeedError'}
                '429': {$ref: '#/components/responses/Error'}
          /result/{job_id}:
            get:
              summary: A job's answer (seed API).
              parameters:
                - $ref: '#/components/parameters/SeedJobID'
              responses:
                '200':
                  description: The answer, or a note that the job has not finished.
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          job_id: {type: string}
                          status: {type: string}
                          result: {type: [string, 'null']}
                          message: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/SeedError'}
                '429': {$ref: '#/components/responses/Error'}
          /v1/queries:
            post:
              summary: Submit a question; answered at once with the job's id.
              parameters:
                - $ref: '#/components/parameters/RequestID'
                - name: Idempotency-Key
                  in: header
                  required: false
                  schema: {type: string, minLength: 1, maxLength: 255}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/QueryRequest'}
              responses:
                '202':
                  description: Queued (or, with a known Idempotency-Key, the first job).
                  headers:
                    X-Request-Id: {$ref: '#/components/headers/RequestID'}
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Accepted'}
                '400': {$ref: '#/components/responses/Error'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
                '413': {$ref: '#/components/responses/Error'}
                '415': {$ref: '#/components/responses/Error'}
                '422': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
                '503': {$ref: '#/components/responses/Error'}
          /v1/queries/{id}:
            get:
              summary: A query's status, result or error, timings and attempts.
              parameters:
                - $ref: '#/components/parameters/QueryID'
                - name: wait
                  in: query
                  required: false
                  description: Hold the request until the job ends, up to this many seconds (at most 30).
                  schema: {type: number, minimum: 0, maximum: 30}
              responses:
                '200':
                  description: The query.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Query'}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '422': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
            delete:
              summary: Cancel a query (at once when waiting, at its next step when running).
              parameters:
                - $ref: '#/components/parameters/QueryID'
              responses:
                '200':
                  description: What the cancel did.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, outcome, status]
                        properties:
                          id: {type: string}
                          outcome: {type: string, enum: [canceled, cancel_requested]}
                          status: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '409': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
          /v1/queries/{id}/retry:
            post:
              summary: 'Puts a failed query back in the queue (operators): the configured attempts again, counted on from its last.'
              parameters:
                - $ref: '#/components/parameters/QueryID'
              responses:
                '202':
                  description: Queued again.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Query'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '409': {$ref: '#/components/responses/Error'}
          /v1/queries/{id}/events:
            get:
              summary: Server-Sent Events of the query's status and, when streamed, its answer's tokens.
              description: |
                Events status {"id","status"}, cancel_requested, token {"text"} (id = stream entry id),
                and a final end event carrying the whole query. Ends when the job ends. A reconnecting
                client's Last-Event-ID resumes the answer after the entry it names.
              parameters:
                - $ref: '#/components/parameters/QueryID'
                - name: Last-Event-ID
                  in: header
                  required: false
                  description: The id of the last event received; only the entries after it are sent.
                  schema: {type: string, pattern: '^([0-9]+-[0-9]+)?$'}
              responses:
                '200':
                  description: An event stream.
                  content:
                    text/event-stream:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '422': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
          /v1/stats:
            get:
              summary: The queue's sizes and lifetime counters, queue-wide; the tenants' lines, usage, cost and budgets (the caller's own with API keys).
              responses:
                '200':
                  description: A snapshot.
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          waiting: {type: integer}
                          active: {type: integer}
                          scheduled: {type: integer}
                          failed: {type: integer}
                          oldest_waiting_seconds: {type: number}
                          live_workers: {type: integer}
                          expired_leases: {type: integer}
                          ended_per_second: {type: number}
                          max_depth: {type: integer, description: 'The most queued and scheduled jobs before submits get 503 (RAGQ_MAX_DEPTH); 0 for no limit.'}
                          counters: {type: object, additionalProperties: {type: integer}}
                          failures:
                            description: Jobs ended failed since the counters began, by error code; they add up to counters.failed.
                            type: object
                            additionalProperties: {type: integer}
                          tenants:
                            type: array
                            items:
                              type: object
                              properties:
                                tenant: {type: string}
                                waiting: {type: integer}
                                running: {type: integer}
                                weight: {type: number}
                                max_running: {type: integer}
                                usage: {type: object, additionalProperties: {type: integer}}
                                cost_usd: {type: number}
                                budget: {type: object}
                '401': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
                '503': {$ref: '#/components/responses/Error'}
          /healthz:
            get:
              summary: Liveness.
              security: []
              responses:
                '200': {description: Alive.}
          /readyz:
            get:
              summary: Readiness; Valkey must answer PING within a second and still hold the queue's data (503 valkey_data_lost once it lost it).
              security: []
              responses:
                '200': {description: Ready.}
                '503': {$ref: '#/components/responses/Error'}
          /metrics:
            get:
              summary: Prometheus metrics.
              responses:
                '200':
                  description: Text exposition format.
                  content:
                    text/plain:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
          /openapi.yaml:
            get:
              summary: This document.
              responses:
                '200':
                  description: OpenAPI 3.1 YAML.
                  content:
                    application/yaml:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '429': {$ref: '#/components/responses/Error'}
          /ui:
            get:
              summary: 'The operators'' dashboard (an operator''s key, or no keys at all; a tenant''s key is 403).'
              responses:
                '200': {$ref: '#/components/responses/Page'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
          /ui/overview:
            get:
              summary: 'The dashboard''s live part, which its page fetches every 2 s.'
              responses:
                '200': {$ref: '#/components/responses/Page'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
          /ui/jobs:
            get:
              summary: 'The recent jobs, newest first, 50 a page, filtered by status, tenant and question text (operators).'
              parameters:
                - {name: status, in: query, schema: {type: string, enum: [queued, started, scheduled, finished, failed, canceled]}}
                - {name: tenant, in: query, schema: {type: string}}
                - {name: text, in: query, description: 'Text the question contains, case-insensitively for ASCII letters.', schema: {type: string}}
                - {name: after, in: query, description: 'The cursor of the previous page''s Older link.', schema: {type: string}}
              responses:
                '200': {$ref: '#/components/responses/Page'}
                '400': {$ref: '#/components/responses/Error'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
          /ui/jobs/{id}:
            get:
              summary: 'One query: question, answer, sources, timings, attempts, cost; cancel while it runs, retry once it failed.'
              parameters:
                - $ref: '#/components/parameters/QueryID'
              responses:
                '200': {$ref: '#/components/responses/Page'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
          /ui/ask:
            get:
              summary: 'A question box whose answer streams into the page (a tenant''s key, an operator''s, or none on an open API).'
              responses:
                '200': {$ref: '#/components/responses/Page'}
                '401': {$ref: '#/components/responses/Error'}
          /ui/app.js:
            get:
              summary: 'The dashboard''s script.'
              responses:
                '200':
                  description: 'JavaScript.'
                  content:
                    text/javascript:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
          /ui/style.css:
            get:
              summary: 'The dashboard''s style sheet.'
              responses:
                '200':
                  description: 'CSS.'
                  content:
                    text/css:
                      schema: {type: string}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
          /ui/jobs/{id}/cancel:
            post:
              summary: 'Cancels the query, from the dashboard''s own page only (Origin and Sec-Fetch-Site are checked).'
              parameters:
                - $ref: '#/components/parameters/QueryID'
              responses:
                '303': {description: 'Canceled (or asked to stop): see the job page.'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
          /ui/jobs/{id}/retry:
            post:
              summary: 'Puts a failed query back in the queue (more attempts, counted on), from the dashboard''s own page only.'
              parameters:
                - $ref: '#/components/parameters/QueryID'
              responses:
                '303': {description: 'Queued again: see the job page.'}
                '401': {$ref: '#/components/responses/Error'}
                '403': {$ref: '#/components/responses/Error'}
                '404': {$ref: '#/components/responses/Error'}
                '409': {$ref: '#/components/responses/Error'}

        """
}
