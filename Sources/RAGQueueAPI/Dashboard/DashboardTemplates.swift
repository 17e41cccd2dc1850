import Mustache

/// The dashboard's pages: Mustache templates compiled into the binary (no files to deploy), and
/// its one script and style sheet. `{{name}}` escapes HTML, so whatever a user wrote (a question, an
/// answer, a tenant's name) is shown as text; triple braces take only a page rendered by these
/// templates already (`{{{body}}}`) or charts drawn from numbers by `DashboardChart` (`{{{charts}}}`).
enum DashboardTemplates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · RAGQueue</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/ui/style.css">
        <script src="/ui/app.js" defer></script>
        </head>
        <body>
        <header><a class="brand" href="/ui/">RAGQueue</a><nav><a href="/ui/">Dashboard</a> <a href="/ui/jobs">Jobs</a> <a href="/ui/ask">Ask</a></nav><span id="updated" class="muted"></span></header>
        <main>
        {{{body}}}
        </main>
        </body>
        </html>
        """

    /// The live part of the dashboard, served alone at `/ui/overview` for the script to swap in.
    static let overview = """
        <section class="cards">
        <div class="card"><span class="label">waiting</span><span class="value" data-stat="waiting">{{queue.waiting}}</span></div>
        <div class="card"><span class="label">running</span><span class="value" data-stat="active">{{queue.active}}</span></div>
        <div class="card"><span class="label">scheduled</span><span class="value" data-stat="scheduled">{{queue.scheduled}}</span></div>
        <div class="card"><span class="label">failed</span><span class="value" data-stat="failed">{{queue.failed}}</span></div>
        <div class="card"><span class="label">depth of limit</span><span class="value" data-stat="depth">{{queue.depth}} <small class="muted">of {{queue.maxDepth}}</small></span></div>
        <div class="card"><span class="label">ended/s</span><span class="value" data-stat="ended_per_second">{{queue.endedPerSecond}}</span></div>
        <div class="card"><span class="label">oldest waiting</span><span class="value" data-stat="oldest_waiting_seconds">{{queue.oldestWaiting}}</span></div>
        <div class="card"><span class="label">live workers</span><span class="value" data-stat="live_workers">{{queue.liveWorkers}}</span></div>
        <div class="card"><span class="label">expired leases</span><span class="value" data-stat="expired_leases">{{queue.expiredLeases}}</span></div>
        </section>
        <section>
        <h2>Last minutes <span class="muted">(10 s buckets, up to 10 minutes since this API process started)</span></h2>
        <div class="charts">{{{charts}}}</div>
        </section>
        <section>
        <h2>Workers</h2>
        {{^hasWorkers}}<p class="muted">No worker has sent a heartbeat.</p>{{/hasWorkers}}
        {{#hasWorkers}}<table><thead><tr><th>worker</th><th>host</th><th>pid</th><th>jobs in flight</th><th>concurrency</th><th>heartbeat good for</th><th>since</th><th>kinds</th></tr></thead><tbody>{{/hasWorkers}}
        {{#workers}}<tr data-worker="{{id}}"><td>{{id}}</td><td>{{host}}</td><td>{{pid}}</td><td class="number" data-in-flight="{{id}}">{{inFlight}}</td><td class="number">{{concurrency}}</td><td class="number">{{heartbeat}}</td><td>{{since}}</td><td>{{kinds}}</td></tr>{{/workers}}
        {{#hasWorkers}}</tbody></table>{{/hasWorkers}}
        </section>
        <section>
        <h2>Running now</h2>
        {{^hasRunning}}<p class="muted">Nothing is running.</p>{{/hasRunning}}
        {{#hasRunning}}<table><thead><tr><th>job</th><th>tenant</th><th>question</th><th>worker</th><th>started</th><th>attempt</th></tr></thead><tbody>{{/hasRunning}}
        {{#running}}<tr><td><a href="/ui/jobs/{{id}}">{{id}}</a></td><td>{{tenant}}</td><td>{{question}}</td><td>{{worker}}</td><td>{{started}}</td><td>{{attempts}}</td></tr>{{/running}}
        {{#hasRunning}}</tbody></table>{{/hasRunning}}
        </section>
        <section>
        <h2>Tenants</h2>
        {{^hasTenants}}<p class="muted">No tenant has sent a query.</p>{{/hasTenants}}
        {{#hasTenants}}<table><thead><tr><th>tenant</th><th>waiting</th><th>running</th><th>weight</th><th>limit</th><th>tokens</th><th>cost</th><th>saved by the cache</th><th>budget</th></tr></thead><tbody>{{/hasTenants}}
        {{#tenants}}<tr data-tenant="{{name}}"><td>{{name}}</td><td>{{waiting}}</td><td>{{running}}</td><td>{{weight}}</td><td>{{limit}}</td><td>{{tokens}}</td><td>{{cost}}</td><td>{{saved}}</td><td>{{budget}}</td></tr>{{/tenants}}
        {{#hasTenants}}</tbody></table>{{/hasTenants}}
        </section>
        <section>
        <h2>Failures by reason <a class="more" href="/ui/jobs?status=failed">failed jobs</a></h2>
        {{^hasFailures}}<p class="muted">No job has failed.</p>{{/hasFailures}}
        {{#hasFailures}}<table class="failures"><tbody>{{/hasFailures}}
        {{#failures}}<tr><td><code>{{reason}}</code></td><td class="number" data-failure="{{reason}}">{{count}}</td></tr>{{/failures}}
        {{#hasFailures}}</tbody></table>{{/hasFailures}}
        </section>
        <section>
        <h2>Counters</h2>
        <table class="counters"><tbody>
        {{#counters}}<tr><td>{{name}}</td><td class="number" data-counter="{{name}}">{{value}}</td></tr>{{/counters}}
        </tbody></table>
        </section>
        """

    static let dashboard = """
        <h1>Queue</h1>
        <div id="overview" data-refresh="/ui/overview">
        {{{overview}}}
        </div>
        """

    /// The recent jobs, filtered, one page at a time.
    static let jobs = """
        <h1>Jobs</h1>
        <form class="filters" method="get" action="/ui/jobs">
        <label>Status <select name="status"><option value="">any</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statuses}}</select></label>
        <label>Tenant <input name="tenant" value="{{tenant}}" list="tenant-names" size="14"></label>
        <datalist id="tenant-names">{{#tenants}}<option value="{{name}}"></option>{{/tenants}}</datalist>
        <label>Question contains <input name="text" value="{{text}}" size="24"></label>
        <button type="submit">Filter</button>
        </form>
        {{^hasJobs}}{{^older}}<p class="muted">No job matches.</p>{{/older}}{{/hasJobs}}
        {{#hasJobs}}<table class="jobs"><thead><tr><th>job</th><th>status</th><th>tenant</th><th>question</th><th>created</th><th>took</th><th>attempts</th></tr></thead><tbody>{{/hasJobs}}
        {{#jobs}}<tr data-job="{{id}}"><td><a href="/ui/jobs/{{id}}">{{id}}</a></td><td class="status-{{status}}">{{status}}{{#error}} <code>{{error}}</code>{{/error}}</td><td>{{tenant}}</td><td>{{question}}</td><td>{{created}}</td><td class="number">{{took}}</td><td class="number">{{attempts}}</td></tr>{{/jobs}}
        {{#hasJobs}}</tbody></table>{{/hasJobs}}
        {{#partial}}<p class="muted">Searched the jobs up to here; older ones may match too.</p>{{/partial}}
        <nav class="pages">{{#newest}}<a href="{{newest}}">Newest</a>{{/newest}} {{#older}}<a href="{{older}}" rel="next">Older →</a>{{/older}}</nav>
        """

    static let job = """
        <h1>Query <code>{{id}}</code></h1>
        <dl class="facts">
        <dt>status</dt><dd class="status-{{status}}" data-field="status">{{status}}</dd>
        <dt>tenant</dt><dd>{{tenant}}</dd>
        <dt>created</dt><dd>{{created}}</dd>
        {{#started}}<dt>started</dt><dd>{{started}}</dd>{{/started}}
        {{#ended}}<dt>ended</dt><dd>{{ended}}</dd>{{/ended}}
        <dt>attempts</dt><dd>{{attempts}} of {{maxAttempts}}{{#crashes}}, {{crashes}} lost with their worker{{/crashes}}{{#operatorRetries}}, retried by an operator {{operatorRetries}}×{{/operatorRetries}}</dd>
        {{#worker}}<dt>worker</dt><dd>{{worker}}</dd>{{/worker}}
        {{#cachedFrom}}<dt>answer of</dt><dd><a href="/ui/jobs/{{cachedFrom}}">{{cachedFrom}}</a>{{#similarity}} (similarity {{similarity}}){{/similarity}}</dd>{{/cachedFrom}}
        {{#coalescedWith}}<dt>follows</dt><dd><a href="/ui/jobs/{{coalescedWith}}">{{coalescedWith}}</a></dd>{{/coalescedWith}}
        {{#cost}}<dt>cost</dt><dd>{{cost}}</dd>{{/cost}}
        </dl>
        {{#cancellable}}<form method="post" action="/ui/jobs/{{id}}/cancel"><button type="submit">Cancel</button></form>{{/cancellable}}
        {{#retryable}}<form method="post" action="/ui/jobs/{{id}}/retry"><button type="submit">Retry</button></form>{{/retryable}}
        <h2>Question</h2>
        <p class="question" data-field="question">{{question}}</p>
        {{#answer}}<h2>Answer</h2><p class="answer" data-field="answer">{{answer}}</p>{{/answer}}
        {{#hasSources}}<h2>Sources</h2><ol class="sources">{{/hasSources}}
        {{#sources}}<li><strong>{{source}}</strong>{{#page}}, page {{page}}{{/page}} <span class="muted">score {{score}}</span><br><span class="excerpt">{{excerpt}}</span></li>{{/sources}}
        {{#hasSources}}</ol>{{/hasSources}}
        {{#hasHistory}}<h2>Timeline</h2><table class="timeline"><tbody>{{/hasHistory}}
        {{#history}}<tr data-step="{{what}}"><td>{{at}}</td><td class="number muted">+{{after}}</td><td>{{text}}</td></tr>{{/history}}
        {{#hasHistory}}</tbody></table>{{/hasHistory}}
        {{#error}}<h2>Error</h2><p class="error"><code>{{code}}</code> {{message}}</p>{{/error}}
        {{#hasTimings}}<h2>Timings</h2><table><tbody>{{/hasTimings}}
        {{#timings}}<tr><td>{{name}}</td><td class="number">{{value}}</td></tr>{{/timings}}
        {{#hasTimings}}</tbody></table>{{/hasTimings}}
        """

    /// A question box; the script sends it to `/v1/queries` and streams the answer into the page.
    static let ask = """
        <h1>Ask</h1>
        <form id="ask" class="ask">
        <label for="question">Question</label>
        <textarea id="question" name="query" rows="3" maxlength="{{maxLength}}" required></textarea>
        <div class="row">
        <label>Collection <input name="collection" list="collections" value="{{defaultCollection}}"></label>
        <datalist id="collections">{{#collections}}<option value="{{name}}"></option>{{/collections}}</datalist>
        <label>top_k <select name="top_k">{{#topKs}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/topKs}}</select></label>
        <button type="submit">Ask</button>
        </div>
        </form>
        <section id="result" hidden>
        <p>Query <a id="job-link" href="/ui/"></a> <span id="job-status" class="muted"></span></p>
        <p id="ask-error" class="error" hidden></p>
        <h2>Answer</h2>
        <p id="answer" class="answer"></p>
        <h2>Sources</h2>
        <ol id="sources" class="sources"></ol>
        </section>
        """

    /// Refreshes `#overview` from its `data-refresh` URL every 2 s, without reloading the page; on
    /// the ask page, submits the question and streams its answer (`/v1/queries/{id}/events`). Text
    /// from the server goes into the page as text, never as markup.
    static let script = """
        "use strict";
        (function () {
          var target = document.getElementById("overview");
          if (!target) { return; }
          var url = target.getAttribute("data-refresh");
          function refresh() {
            fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (html) {
                if (html === null) { return; }
                target.innerHTML = html;
                document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
              })
              .catch(function () {});
          }
          setInterval(refresh, 2000);
        })();
        (function () {
          var form = document.getElementById("ask");
          if (!form) { return; }
          var result = document.getElementById("result");
          var link = document.getElementById("job-link");
          var status = document.getElementById("job-status");
          var answer = document.getElementById("answer");
          var sources = document.getElementById("sources");
          var failure = document.getElementById("ask-error");
          var events = null;
          function fail(message) { failure.textContent = message; failure.hidden = false; }
          function show(view) {
            status.textContent = view.status;
            if (view.result) {
              answer.textContent = view.result.answer;
              sources.textContent = "";
              (view.result.sources || []).forEach(function (source) {
                var item = document.createElement("li");
                var page = source.page_label || source.page;
                item.textContent = (source.source || source.id) + (page ? ", page " + page : "") + ": " + source.excerpt;
                sources.appendChild(item);
              });
            }
            if (view.error) { fail(view.error.code + ": " + view.error.message); }
          }
          form.addEventListener("submit", function (event) {
            event.preventDefault();
            if (events) { events.close(); events = null; }
            var data = new FormData(form);
            var body = { query: String(data.get("query")), stream: true, top_k: parseInt(String(data.get("top_k")), 10) };
            var collection = String(data.get("collection") || "").trim();
            if (collection) { body.collection = collection; }
            result.hidden = false;
            failure.hidden = true;
            answer.textContent = "";
            sources.textContent = "";
            status.textContent = "sending";
            link.textContent = "";
            fetch("/v1/queries", {
              method: "POST", credentials: "same-origin",
              headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
            }).then(function (response) {
              return response.json().then(function (json) { return { ok: response.ok, json: json }; });
            }).then(function (reply) {
              if (!reply.ok) { status.textContent = "refused"; fail(reply.json.error ? reply.json.error.message : "refused"); return; }
              var id = reply.json.id;
              link.textContent = id;
              link.href = "/ui/jobs/" + encodeURIComponent(id);
              if (reply.json.status === "finished") { show(reply.json); return; }
              status.textContent = reply.json.status;
              events = new EventSource("/v1/queries/" + encodeURIComponent(id) + "/events");
              events.addEventListener("status", function (e) { status.textContent = JSON.parse(e.data).status; });
              events.addEventListener("reset", function () { answer.textContent = ""; });
              events.addEventListener("token", function (e) { answer.textContent += JSON.parse(e.data).text; });
              events.addEventListener("end", function (e) { events.close(); events = null; show(JSON.parse(e.data)); });
              events.addEventListener("timeout", function (e) { events.close(); events = null; show(JSON.parse(e.data)); });
            }).catch(function (error) { fail(String(error)); });
          });
        })();
        """

    static let style = """
        :root { color-scheme: light dark; --line: #8884; --muted: #888; }
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; }
        header { display: flex; gap: 1.5rem; align-items: baseline; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
        header .brand { font-weight: 700; text-decoration: none; }
        main { padding: 1rem 1.2rem; max-width: 80rem; }
        h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.6rem; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: .6rem; }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; display: flex; flex-direction: column; }
        .card .label { color: var(--muted); font-size: .8rem; } .card .value { font-size: 1.4rem; font-variant-numeric: tabular-nums; }
        table { border-collapse: collapse; } th, td { text-align: left; padding: .25rem .7rem .25rem 0; border-bottom: 1px solid var(--line); }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: var(--muted); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { color: var(--muted); }
        .question, .answer { white-space: pre-wrap; } .excerpt { color: var(--muted); }
        .status-failed, .error { color: #c33; } .status-finished { color: #393; }
        form.ask { display: flex; flex-direction: column; gap: .5rem; max-width: 48rem; }
        form.ask textarea { font: inherit; padding: .4rem; } form.ask .row { display: flex; gap: 1rem; align-items: center; }
        form.filters { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin-bottom: 1rem; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); gap: .8rem; }
        svg.chart { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
        .chart-title { font-size: 12px; font-weight: 600; fill: currentColor; } .chart-legend { font-size: 11px; }
        .chart-axis { font-size: 10px; fill: var(--muted); } .chart-grid { stroke: var(--line); stroke-width: 1; }
        nav.pages { margin-top: 1rem; display: flex; gap: 1rem; } h2 .more { font-size: .8rem; font-weight: normal; margin-left: .6rem; }
        """

    /// The compiled templates, once per process; a template that does not compile is a bug of this
    /// file, caught by the dashboard's tests before it ships.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("overview", overview), ("dashboard", dashboard), ("jobs", jobs), ("job", job), ("ask", ask)] {
            if let template = try? MustacheTemplate(string: text) { library.register(template, named: name) }
        }
        return library
    }()
}
