import Mustache

/// The dashboard's templates (Mustache, HTML-escaped by `{{…}}`): one head and
/// foot around each page. Dense, calm, readable; keyboard first on the queue.
struct DashboardPages: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in Self.templates { library.register(try MustacheTemplate(string: text), named: name) }
        self.library = library
    }

    func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }

    static let templates: [String: String] = [
        "head": head, "foot": foot, "gatesbody": gatesbody, "casebody": casebody, "login": login, "gates": gates, "queue": queue, "case": casePage, "audit": audit,
        "applications": applications,
    ]

    static let head = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{title}} · Bollard</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        {{#refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/refresh}}
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
        header{display:flex;gap:1.2em;align-items:center;padding:.5em 1em;background:#1d2430;color:#e8ebf0}
        header a{color:#cfd6e2;text-decoration:none}header a:hover{color:#fff}header .who{margin-left:auto;color:#9aa5b5}
        main{padding:1em;max-width:1400px}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.25em .6em;border-bottom:1px solid #e3e6eb;text-align:left;white-space:nowrap}
        th{font-weight:600;color:#5a6575;font-size:12px;text-transform:uppercase}
        .ok{color:#17733a}.lagging{color:#a15c00}.offline{color:#b3261e}.state{font-weight:600}
        .cards{display:flex;gap:1em;margin-bottom:1em}.card{background:#fff;padding:.6em 1em;border:1px solid #e3e6eb}
        .card b{display:block;font-size:20px}
        .split{display:grid;grid-template-columns:340px 1fr;gap:1em}.list a{display:block;padding:.3em .5em;color:inherit;text-decoration:none;border-bottom:1px solid #eee}
        .list a.sel{background:#dde7f7}.plate{font-family:ui-monospace,monospace;font-weight:700;letter-spacing:.05em}
        .images{display:flex;gap:1em}.images img{max-height:260px;border:1px solid #ccc}.muted{color:#7a8595}
        form.inline{display:inline-block;margin-right:1em}input[type=text]{font:inherit;padding:.2em}button{font:inherit}
        kbd{border:1px solid #bbb;border-radius:3px;padding:0 .3em;font-size:12px;background:#fff}
        .msg{background:#fff4d6;padding:.4em .8em;border:1px solid #e8d08a;margin-bottom:1em}
        .chars{display:inline-flex;gap:2px;vertical-align:middle}.ch{display:inline-block;text-align:center;padding:0 .2em;border:1px solid #e3e6eb;background:#fff}
        .ch b{display:block;font-family:ui-monospace,monospace}.ch small{display:block;font-size:10px;color:#5a6575}.ch.low{background:#fbe0dd;border-color:#e2a39c}
        </style></head><body>
        <header><strong>Bollard</strong>{{#actor}}<a href="/dashboard">Gates</a><a href="/queue">Review queue</a>{{#decider}}<a href="/applications">Applications</a>{{/decider}}{{#supervisor}}<a href="/audit">Audit</a>{{/supervisor}}
        <span class="who">{{name}} ({{role}})</span><form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Sign out</button></form>{{/actor}}</header>
        <main>{{#message}}<div class="msg">{{message}}</div>{{/message}}
        """

    static let foot = "</main></body></html>\n"

    static let login = """
        {{> head}}
        <h1>Sign in</h1>
        <form method="post" action="/login"><label>Access token <input type="text" name="token" size="60" autofocus autocomplete="off"></label>
        <button>Sign in</button></form>
        <p class="muted">Tokens come from <code>bollard-central tokens create --role operator --name NAME</code>.</p>
        {{> foot}}
        """

    /// The gates page: the signed-in head around a body that depends on the status snapshot only
    /// (`gatesbody`), which the dashboard renders once per snapshot and serves to everyone.
    static let gates = """
        {{> head}}{{> gatesbody}}{{> foot}}
        """

    static let gatesbody = """
        <div class="cards">
        <div class="card"><b id="count-ok" class="ok">{{ok}}</b>ok</div><div class="card"><b class="lagging">{{lagging}}</b>lagging</div>
        <div class="card"><b class="offline">{{offline}}</b>offline</div><div class="card"><b>{{events}}</b>events</div>
        <div class="card"><b>{{violations}}</b>violations</div><div class="card"><b>{{waiting}}</b>waiting for review</div>
        <div class="card"><b>{{headSeq}}</b>permit seq</div>
        <div class="card"><b class="{{#centralDiskLow}}offline{{/centralDiskLow}}">{{centralDisk}}</b>free on central's disk</div>
        <div class="card"><b class="{{#webhooksFailing}}offline{{/webhooksFailing}}">{{webhooksFailing}}</b>webhook deliveries failing</div></div>
        {{#failingHooks}}<p class="msg">Webhook <b>{{id}}</b> ({{url}}): {{failing}} failing, {{pending}} pending · last error: {{lastError}}</p>{{/failingHooks}}
        <h2>Today ({{day}}): passages and violations per hour</h2>
        <svg width="{{chartWidth}}" height="140" role="img" aria-label="passages and violations per hour">
        {{#bars}}<rect x="{{x}}" y="{{py}}" width="12" height="{{ph}}" fill="#9fb7d8"><title>{{hour}}:00 {{passages}} passages</title></rect>
        <rect x="{{vx}}" y="{{vy}}" width="8" height="{{vh}}" fill="#c0392b"><title>{{hour}}:00 {{violations}} violations</title></rect>
        <text x="{{x}}" y="138" font-size="10" fill="#7a8595">{{hour}}</text>{{/bars}}
        </svg>
        <h2>Gates</h2>
        <table id="gates"><thead><tr><th>Gate</th><th>Zone</th><th>Dir</th><th>State</th><th>Seen</th><th>Permit seq</th><th>Buffer</th>
        <th>Last frame</th><th>Reads/min</th><th>Disk free</th><th>Clock skew</th><th>Notes</th></tr></thead><tbody>
        {{#gates}}<tr><td>{{id}}</td><td>{{zone}}</td><td>{{direction}}</td><td class="state {{state}}">{{state}}</td><td>{{seen}}</td><td>{{permitSeq}}</td>
        <td>{{buffer}}</td><td>{{lastFrame}}</td><td>{{rate}}</td><td>{{disk}}</td><td>{{skew}}</td><td class="muted">{{notes}}</td></tr>{{/gates}}
        </tbody></table>
        <p class="muted">Refreshes every 5 s.</p>
        """

    static let queue = """
        {{> head}}
        <div class="split"><div class="list" id="queue">
        <p class="muted"><kbd>j</kbd>/<kbd>k</kbd> move · <kbd>c</kbd> confirm · <kbd>d</kbd> dismiss · <kbd>e</kbd> escalate</p>
        {{#items}}<a href="/queue?id={{id}}" class="{{#selected}}sel{{/selected}}" data-id="{{id}}"><span class="plate">{{plate}}</span> {{kind}} · {{gate}} · {{time}} {{#escalated}}· escalated{{/escalated}} {{#notFineable}}· <b class="lagging">{{source}}: no fine</b>{{/notFineable}}</a>{{/items}}
        {{^items}}<p>Nothing waits for review.</p>{{/items}}
        </div><div>{{#detail}}{{> casebody}}{{/detail}}</div></div>
        <script>
        document.addEventListener('keydown', function (e) {
          if (e.target.tagName === 'INPUT' || e.ctrlKey || e.metaKey || e.altKey) return;
          var links = Array.prototype.slice.call(document.querySelectorAll('#queue a'));
          var at = links.findIndex(function (a) { return a.classList.contains('sel'); });
          if (e.key === 'j' && at + 1 < links.length) location.href = links[at + 1].href;
          else if (e.key === 'k' && at > 0) location.href = links[at - 1].href;
          else if (e.key === 'c') document.getElementById('confirm').submit();
          else if (e.key === 'e') document.getElementById('escalate').submit();
          else if (e.key === 'd') { e.preventDefault(); document.getElementById('dismiss-reason').focus(); }
        });
        </script>
        {{> foot}}
        """

    static let casebody = """
        <h2><span class="plate" id="plate">{{plate}}</span> <span class="muted">{{kind}} at {{gate}}, {{time}}</span></h2>
        <p>Read <span class="plate">{{plate}}</span> with confidence {{confidence}}{{#hasChars}} <span class="chars" id="chars" title="confidence per character (%)">{{#chars}}<span class="ch{{#low}} low{{/low}}"><b>{{c}}</b><small>{{pct}}</small></span>{{/chars}}</span>{{/hasChars}} · reason {{reason}} · state <b id="state">{{state}}</b> · source <b id="source">{{source}}</b></p>
        {{^fineable}}<p id="not-fineable" class="lagging"><b>Not a fine:</b> this read {{sourceWords}}. Only camera and video reads can be confirmed; dismiss it with a reason.</p>{{/fineable}}
        <div class="images">{{#images}}<figure><img src="/dashboard/images/{{id}}/{{role}}" alt="{{role}}"><figcaption>{{role}}</figcaption></figure>{{/images}}
        {{^images}}<p class="muted">No images kept for this event.</p>{{/images}}</div>
        {{#permit}}<p>Permit found: {{id}} ({{status}}) for <span class="plate">{{plate}}</span></p>{{/permit}}
        {{#hasCandidates}}<p>Candidate permits (confusion match):</p><ul>{{#candidates}}<li>{{id}} · <span class="plate">{{plate}}</span> · {{status}}</li>{{/candidates}}</ul>{{/hasCandidates}}
        {{#open}}
        <form id="confirm" class="inline" method="post" action="/cases/{{id}}/confirm"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="text" name="plate" placeholder="corrected plate (optional)" size="16"> <button>Confirm <kbd>c</kbd></button></form>
        <form id="dismiss" class="inline" method="post" action="/cases/{{id}}/dismiss"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="text" id="dismiss-reason" name="reason" placeholder="reason" size="24" required> <button>Dismiss <kbd>d</kbd></button></form>
        <form id="escalate" class="inline" method="post" action="/cases/{{id}}/escalate"><input type="hidden" name="csrf" value="{{csrf}}">
        <button>Escalate <kbd>e</kbd></button></form>
        {{/open}}
        <h3>History</h3>
        <table><tr><th>When</th><th>Who</th><th>Action</th><th>Plate</th><th>Reason / outcome</th></tr>
        {{#actions}}<tr><td>{{time}}</td><td>{{actor}} ({{role}})</td><td>{{action}}</td><td>{{plate}}</td><td>{{note}}</td></tr>{{/actions}}</table>
        """

    static let casePage = """
        {{> head}}
        {{#detail}}{{> casebody}}{{/detail}}
        {{> foot}}
        """

    static let applications = """
        {{> head}}
        <h1>Applications for temporary permits</h1>
        <table id="applications"><tr><th>Id</th><th>Holder</th><th>Plate</th><th>Zones</th><th>From</th><th>Until</th><th>Reason</th><th>Filed</th><th></th></tr>
        {{#items}}<tr><td>{{id}}</td><td>{{holder}}</td><td class="plate">{{plate}}</td><td>{{zones}}</td><td>{{from}}</td><td>{{until}}</td><td>{{reason}}</td><td>{{filed}}</td>
        <td><form class="inline" method="post" action="/applications/{{id}}/approve"><input type="hidden" name="csrf" value="{{csrf}}"><button>Approve</button></form>
        <form class="inline" method="post" action="/applications/{{id}}/refuse"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="text" name="reason" placeholder="reason for refusing" size="22" required> <button>Refuse</button></form></td></tr>{{/items}}
        </table>
        {{^items}}<p>No application waits for a decision.</p>{{/items}}
        {{> foot}}
        """

    static let audit = """
        {{> head}}
        <h1>Audit log</h1>
        <table><tr><th>#</th><th>When</th><th>Who</th><th>Role</th><th>Action</th><th>Subject</th><th>Reason</th><th>Hash</th></tr>
        {{#entries}}<tr><td>{{seq}}</td><td>{{time}}</td><td>{{actor}}</td><td>{{role}}</td><td>{{action}}</td><td>{{subject}}</td><td>{{reason}}</td><td class="muted">{{hash}}</td></tr>{{/entries}}
        </table>
        {{> foot}}
        """
}
