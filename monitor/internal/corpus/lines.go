package corpus

import "fmt"

type lineFunc func(g *Gen) string

// nearMisses look like leaks to a loose scanner and are not.
var nearMisses = []lineFunc{
	func(g *Gen) string {
		return g.entry("info", "registry", "pulled image", "digest", "sha256:"+g.str(hexdig, 64))
	},
	func(g *Gen) string {
		return fmt.Sprintf("checksum sha512=%s  qguard_linux_amd64.tar.gz", g.str(hexdig, 128))
	},
	func(g *Gen) string { return fmt.Sprintf("%s  results-%d.parquet", g.str(hexdig, 64), g.r.IntN(1000)) },
	func(g *Gen) string { return "commit " + g.str(hexdig, 40) },
	func(g *Gen) string {
		return g.entry("info", "deploy", "deployed revision", "git_sha", g.str(hexdig, 40), "short", g.str(hexdig, 7))
	},
	func(g *Gen) string {
		return g.entry("info", "gateway", "job submitted", "job_id", g.uuid(), "request_id", g.uuid(), "user_id", g.user(), "provider", g.provider())
	},
	func(g *Gen) string {
		return fmt.Sprintf(`{"clientToken": %q, "deviceArn": "arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1", "shots": 1000}`, g.uuid())
	},
	func(g *Gen) string {
		return g.entry("debug", "auth", "session issued", "token", g.uuid(), "user_id", g.user())
	},
	func(g *Gen) string {
		return g.entry("info", "config", "loaded settings", "token", "[REDACTED]", "apikey", "REDACTED")
	},
	func(g *Gen) string { return "AWS_SECRET_ACCESS_KEY=****************************************" },
	func(g *Gen) string { return "> Authorization: apiKey [REDACTED]" },
	func(g *Gen) string { return "Authorization: Bearer <token>" },
	func(g *Gen) string {
		return g.pick("password=${DB_PASSWORD}", "IONQ_API_KEY=<your-api-key>", "QISKIT_IBM_TOKEN=${QISKIT_IBM_TOKEN}", "token: $JUPYTER_TOKEN")
	},
	func(g *Gen) string { return "aws_access_key_id = AKIAIOSFODNN7EXAMPLE" },
	func(g *Gen) string { return "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
	func(g *Gen) string {
		return g.entry("info", "vault", "credential stored", "provider", "ibm_quantum", "secret_name", g.pick("ibm-quantum-prod", "braket-dev", "ionq-research"), "token_count", g.r.IntN(5000))
	},
	func(g *Gen) string {
		return g.entry("info", "ibm-adapter", "instance selected", "ibm_instance_crn",
			"crn:v1:bluemix:public:quantum-computing:us-east:a/"+g.str(hexdig, 32)+":"+g.uuid()+"::", "backend", "ibm_brisbane")
	},
	func(g *Gen) string {
		return g.entry("info", "braket-adapter", "results stored", "s3", fmt.Sprintf("s3://amazon-braket-us-east-1-%d/tasks/%s/results.json", 100000000000+g.r.Int64N(899999999999), g.uuid()))
	},
	func(g *Gen) string {
		return "-----BEGIN " + g.pick("PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST") + "-----"
	},
	func(g *Gen) string {
		return g.entry("debug", "trace", "span finished", "trace_id", g.str(hexdig, 32), "span_id", g.str(hexdig, 16))
	},
	func(g *Gen) string {
		return g.entry("info", "users", "api key created", "user_id", g.user(), "hint", "qg_"+g.str(b64url, 4), "key_id", g.r.IntN(900))
	},
	func(g *Gen) string {
		return fmt.Sprintf(`token = "%s"`, g.pick("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "your-ibm-quantum-token-goes-here", "changeme"))
	},
	func(g *Gen) string { return g.entry("warn", "auth", "password: ********", "user_id", g.user()) },
	func(g *Gen) string {
		return fmt.Sprintf("token_type=Bearer expires_in=3600 scope=%s", g.pick("ibm openid", "read write"))
	},
	func(g *Gen) string {
		return g.entry("info", "notebook", "payload", "data", g.str(b64, 120), "encoding", "base64")
	},
	func(g *Gen) string { return "hooks.slack.com/services/T000/B000/XXXX (example from the docs)" },
	func(g *Gen) string {
		return g.entry("info", "alerter", "slack webhook configured", "webhook_url", "${SLACK_WEBHOOK_URL}")
	},
	func(g *Gen) string {
		return fmt.Sprintf("Merge pull request #%d from acme/fix-%s", g.r.IntN(900), g.str(hexdig, 7))
	},
	func(g *Gen) string {
		return g.entry("info", "gateway", "password changed", "password_hash", "$argon2id$v=19$m=65536,t=3,p=4$"+g.str(b64, 22)+"$"+g.str(b64, 43))
	},
}

// benign are ordinary lines of a quantum gateway's logs.
var benign = []lineFunc{
	func(g *Gen) string {
		return g.entry("info", "gateway", "request", "method", g.pick("GET", "POST"), "path", g.pick("/v1/jobs", "/v1/devices", "/v1/audit/events", "/healthz"),
			"status", g.pick("200", "201", "404", "429"), "duration_ms", g.r.IntN(400), "ip_address", g.ip(), "user_id", g.user())
	},
	func(g *Gen) string {
		return g.entry("info", "scheduler", "job completed", "job_id", "job-"+g.str(lowerABC+digits, 12), "provider", g.provider(),
			"device", g.pick("ibm_brisbane", "ibm_kyiv", "sv1", "aria-1", "local-simulator"), "shots", 100*(1+g.r.IntN(40)), "cost_usd", float64(g.r.IntN(10000))/100)
	},
	func(g *Gen) string {
		return g.plain("INFO", "sim", fmt.Sprintf("simulated %d qubits, depth %d, %d shots in %dms", 2+g.r.IntN(20), 1+g.r.IntN(200), 1024, g.r.IntN(3000)))
	},
	func(g *Gen) string {
		return fmt.Sprintf(`%s - %s [04/Dec/2026:10:%02d:%02d +0000] "GET /v1/jobs/%s HTTP/1.1" 200 %d "-" "qiskit-ibm-runtime/0.30"`,
			g.ip(), g.user(), g.r.IntN(60), g.r.IntN(60), g.str(lowerABC+digits, 10), g.r.IntN(5000))
	},
	func(g *Gen) string {
		return g.entry("warn", "policy", "denied", "user_id", g.user(), "reason", g.pick("shots above role limit", "daily budget exceeded", "device class not allowed"), "resource", "qpu")
	},
	func(g *Gen) string {
		return g.entry("info", "circuit", "parsed", "qubits", 1+g.r.IntN(27), "gates", g.r.IntN(900), "depth", g.r.IntN(300), "format", g.pick("openqasm2", "openqasm3"))
	},
	func(g *Gen) string {
		return g.plain("DEBUG", "braket", fmt.Sprintf("task %s status QUEUED -> RUNNING", "arn:aws:braket:us-east-1:123456789012:quantum-task/"+g.uuid()))
	},
	func(g *Gen) string {
		return g.entry("error", "auth", "authentication failed", "user_id", g.user(), "ip_address", g.ip(), "reason", g.pick("unknown key", "expired session", "revoked key"))
	},
	func(g *Gen) string {
		return fmt.Sprintf("OPENQASM 2.0; include \"qelib1.inc\"; qreg q[%d]; creg c[%d]; h q[0]; cx q[0],q[1]; measure q -> c;", 2+g.r.IntN(5), 2+g.r.IntN(5))
	},
	func(g *Gen) string {
		return g.entry("info", "audit", "checkpoint signed", "size", g.r.IntN(100000), "root", g.str(b64, 43)+"=")
	},
}
